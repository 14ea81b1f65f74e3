import { useI18n } from '../../i18n.js';
import { Checkbox, SelectField, TextField } from '../../ui.js';
import { type AgendaRow, type FieldErrors, nextRowKey } from './form.js';

/** The agenda (chương trình): timed items, who presents, breaks; rows move up and down. */
export function AgendaEditor(props: {
  rows: AgendaRow[];
  errors: FieldErrors;
  siteOptions: { value: string; label: string }[];
  onChange: (rows: AgendaRow[]) => void;
}) {
  const { t } = useI18n();
  const { rows } = props;
  const set = (i: number, patch: Partial<AgendaRow>) =>
    props.onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const move = (i: number, d: -1 | 1) => {
    const next = [...rows];
    const [r] = next.splice(i, 1);
    next.splice(i + d, 0, r!);
    props.onChange(next);
  };
  return (
    <section class="card" aria-labelledby="sec-agenda">
      <h2 id="sec-agenda">{t('sectionAgenda')}</h2>
      {rows.length === 0 ? <p class="muted">{t('agendaEmpty')}</p> : null}
      <ol class="editor-list" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
        {rows.map((r, i) => (
          <li key={r.key} class="editor-item agenda-row" data-testid="agenda-row">
            <TextField
              id={`ag-time-${i}`}
              label={t('agendaTime')}
              inputMode="numeric"
              placeholder="hh:mm"
              value={r.time}
              onInput={(v) => set(i, { time: v })}
              error={props.errors[`agenda.${i}.startsAt`]}
            />
            <TextField
              id={`ag-title-${i}`}
              label={t('agendaTitleF')}
              value={r.title}
              onInput={(v) => set(i, { title: v })}
              error={props.errors[`agenda.${i}.title`]}
            />
            <TextField
              id={`ag-presenter-${i}`}
              label={t('agendaPresenter')}
              value={r.presenter}
              onInput={(v) => set(i, { presenter: v })}
              error={props.errors[`agenda.${i}.presenter`]}
            />
            <SelectField
              id={`ag-site-${i}`}
              label={t('agendaSite')}
              value={r.siteId}
              options={props.siteOptions}
              onChange={(v) => set(i, { siteId: v })}
              error={props.errors[`agenda.${i}.siteId`]}
            />
            <Checkbox
              id={`ag-break-${i}`}
              label={t('agendaBreak')}
              checked={r.isBreak}
              onChange={(v) => set(i, { isBreak: v })}
            />
            <div class="tools">
              <button
                type="button"
                class="small"
                disabled={i === 0}
                onClick={() => move(i, -1)}
                aria-label={`${t('moveUp')}: ${r.title || i + 1}`}
              >
                ↑
              </button>
              <button
                type="button"
                class="small"
                disabled={i === rows.length - 1}
                onClick={() => move(i, 1)}
                aria-label={`${t('moveDown')}: ${r.title || i + 1}`}
              >
                ↓
              </button>
              <button
                type="button"
                class="small"
                onClick={() => props.onChange(rows.filter((_, j) => j !== i))}
                aria-label={`${t('remove')}: ${r.title || i + 1}`}
              >
                ✕
              </button>
            </div>
          </li>
        ))}
      </ol>
      <button
        type="button"
        data-testid="add-agenda"
        onClick={() => {
          const last = rows[rows.length - 1];
          props.onChange([
            ...rows,
            {
              key: nextRowKey(),
              time: last?.time ?? '',
              title: '',
              presenter: '',
              siteId: '',
              isBreak: false,
            },
          ]);
          requestAnimationFrame(() => document.getElementById(`ag-time-${rows.length}`)?.focus());
        }}
      >
        + {t('addAgendaItem')}
      </button>
    </section>
  );
}
