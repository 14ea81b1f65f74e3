import { useI18n } from '../../i18n.js';
import { TextField } from '../../ui.js';
import type { CompRow, FieldErrors, SiteRow } from './form.js';

/** One site's attendee composition (thành phần) and expected head count. */
export function SiteComposition(props: {
  title: string;
  row: SiteRow;
  errorPrefix: string;
  errors: FieldErrors;
  onChange: (row: SiteRow) => void;
  onCopyToAll?: (() => void) | undefined;
}) {
  const { t } = useI18n();
  const { row } = props;
  const id = `${props.errorPrefix.replace('.', '-')}`;
  const setComp = (composition: CompRow[]) => props.onChange({ ...row, composition });
  return (
    <div class="editor-item" data-testid="site-composition">
      <div class="card-head">
        <h3>{props.title}</h3>
        <span class="spacer" />
        {props.onCopyToAll ? (
          <button type="button" class="small" onClick={props.onCopyToAll}>
            {t('applyToAll')}
          </button>
        ) : null}
      </div>
      {props.errors[`${props.errorPrefix}.siteId`] ? (
        <div class="field">
          <div class="error">{props.errors[`${props.errorPrefix}.siteId`]}</div>
        </div>
      ) : null}
      {row.composition.map((c, i) => (
        <div class="composition-row" key={`${id}-c-${i}`}>
          <TextField
            id={`${id}-role-${i}`}
            label={t('compositionRole')}
            value={c.role}
            onInput={(v) =>
              setComp(row.composition.map((x, j) => (j === i ? { ...x, role: v } : x)))
            }
            error={props.errors[`${props.errorPrefix}.composition.${i}.role`]}
          />
          <TextField
            id={`${id}-count-${i}`}
            label={t('compositionCount')}
            type="number"
            min={1}
            value={c.count}
            onInput={(v) =>
              setComp(row.composition.map((x, j) => (j === i ? { ...x, count: v } : x)))
            }
            error={props.errors[`${props.errorPrefix}.composition.${i}.count`]}
          />
          <button
            type="button"
            onClick={() => setComp(row.composition.filter((_, j) => j !== i))}
            aria-label={`${t('remove')}: ${c.role || t('compositionRole')}`}
          >
            {t('remove')}
          </button>
        </div>
      ))}
      <div class="row" style={{ alignItems: 'flex-end' }}>
        <button
          type="button"
          class="small"
          onClick={() => setComp([...row.composition, { role: '', count: '' }])}
        >
          + {t('addComposition')}
        </button>
        <TextField
          id={`${id}-expected`}
          class="narrow"
          label={t('expectedCount')}
          type="number"
          min={0}
          value={row.expectedCount}
          onInput={(v) => props.onChange({ ...row, expectedCount: v })}
          error={props.errors[`${props.errorPrefix}.expectedCount`]}
        />
      </div>
    </div>
  );
}
