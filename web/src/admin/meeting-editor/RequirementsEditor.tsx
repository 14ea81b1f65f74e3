import { useI18n } from '../../i18n.js';
import { TextField } from '../../ui.js';
import type { FieldErrors } from './form.js';

/** Preparation lines besides equipment, backup power and the technician on duty. */
export function RequirementsEditor(props: {
  requirements: string[];
  errors: FieldErrors;
  onChange: (requirements: string[]) => void;
}) {
  const { t } = useI18n();
  const { requirements, onChange } = props;
  return (
    <section class="card" aria-labelledby="sec-req">
      <h2 id="sec-req">{t('sectionRequirements')}</h2>
      {requirements.map((r, i) => (
        <div class="composition-row" key={`req-${i}`} style={{ gridTemplateColumns: '1fr auto' }}>
          <TextField
            id={`m-req-${i}`}
            label={`${t('requirement')} ${i + 1}`}
            value={r}
            onInput={(v) => onChange(requirements.map((x, j) => (j === i ? v : x)))}
            error={props.errors[`requirements.${i}`]}
          />
          <button
            type="button"
            onClick={() => onChange(requirements.filter((_, j) => j !== i))}
            aria-label={`${t('remove')}: ${t('requirement')} ${i + 1}`}
          >
            {t('remove')}
          </button>
        </div>
      ))}
      <button type="button" onClick={() => onChange([...requirements, ''])}>
        + {t('addRequirement')}
      </button>
    </section>
  );
}
