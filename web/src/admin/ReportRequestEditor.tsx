import { useState } from 'preact/hooks';
import type { Meeting } from '../../../protocol/meetings.js';
import type {
  OutlineSectionInput,
  ReportRequest,
  ReportRequestInput,
  ReportTemplate,
} from '../../../protocol/reports.js';
import { ApiError, api } from '../api.js';
import { useI18n } from '../i18n.js';
import { Checkbox, ErrorNotice, SelectField, TextField, toast } from '../ui.js';
import { useLoad } from '../useLoad.js';
import { L } from './reportLabels.js';

/** The request form as typed. */
interface Draft {
  title: string;
  instructions: string;
  deadlineMode: 'before' | 'after' | 'absolute';
  days: string;
  at: string;
  reminderDays: string;
  consolidator: string;
  siteIds: string[];
  sections: OutlineSectionInput[];
}

function draftOf(meeting: Meeting, r?: ReportRequest): Draft {
  return {
    title: r?.title ?? '',
    instructions: r?.instructions ?? '',
    deadlineMode:
      r?.deadline.kind === 'relative' ? r.deadline.direction : r ? 'absolute' : 'before',
    days: r?.deadline.kind === 'relative' ? String(r.deadline.days) : '7',
    at: r?.deadline.kind === 'absolute' ? r.deadline.at.slice(0, 16) : '',
    reminderDays: String(r?.reminderDays ?? 3),
    consolidator: r?.consolidator.kind === 'site' ? r.consolidator.siteId : 'main',
    siteIds: r?.siteIds ?? meeting.sites.map((s) => s.siteId),
    sections: r?.sections ?? [{ id: 's1', number: '1', title: '', required: true, level: 1 }],
  };
}

function inputOf(d: Draft): ReportRequestInput {
  return {
    title: d.title,
    ...(d.instructions ? { instructions: d.instructions } : {}),
    siteIds: d.siteIds,
    sections: d.sections,
    deadline:
      d.deadlineMode === 'absolute'
        ? { kind: 'absolute', at: `${d.at}:00+07:00` }
        : { kind: 'relative', days: Number(d.days), direction: d.deadlineMode },
    reminderDays: Number(d.reminderDays),
    consolidator:
      d.consolidator === 'main' ? { kind: 'main' } : { kind: 'site', siteId: d.consolidator },
  };
}

export function RequestEditor(props: {
  meeting: Meeting;
  nameOf: (id: string) => string;
  request?: ReportRequest;
  onDone: () => void;
}) {
  const { lang } = useI18n();
  const m = props.meeting;
  const [d, setD] = useState<Draft>(() => draftOf(m, props.request));
  const [error, setError] = useState<unknown>();
  const templates = useLoad(
    () => api<{ templates: ReportTemplate[] }>('GET', '/api/report-templates'),
    [],
  );
  const set = (patch: Partial<Draft>) => setD((x) => ({ ...x, ...patch }));
  const setSection = (i: number, patch: Partial<OutlineSectionInput>) =>
    set({ sections: d.sections.map((s, j) => (j === i ? { ...s, ...patch } : s)) });
  const fields = error instanceof ApiError ? error.fieldErrors(lang) : {};
  const save = async () => {
    setError(undefined);
    try {
      const body = inputOf(d);
      if (props.request)
        await api('PUT', `/api/meetings/${m.id}/report-requests/${props.request.id}`, {
          ...body,
          version: props.request.version,
        });
      else await api('POST', `/api/meetings/${m.id}/report-requests`, body);
      toast(L.saved[lang]);
      props.onDone();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form
      class="report-editor"
      data-testid="report-editor"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <ErrorNotice error={error} />
      <SelectField
        label={L.template[lang]}
        value=""
        options={[
          { value: '', label: L.noTemplate[lang] },
          ...(templates.data?.templates ?? []).map((x) => ({ value: x.id, label: x.name[lang] })),
        ]}
        onChange={(id) => {
          const tpl = templates.data?.templates.find((x) => x.id === id);
          if (tpl)
            set({ title: d.title || tpl.title, sections: tpl.sections.map((s) => ({ ...s })) });
        }}
      />
      <TextField
        label={L.reportTitle[lang]}
        required
        value={d.title}
        onInput={(v) => set({ title: v })}
        error={fields.title}
      />
      <TextField
        label={L.instructions[lang]}
        multiline
        value={d.instructions}
        onInput={(v) => set({ instructions: v })}
      />
      <SelectField
        label={L.deadlineKind[lang]}
        value={d.deadlineMode}
        options={[
          { value: 'before', label: L.relBefore[lang] },
          { value: 'after', label: L.relAfter[lang] },
          { value: 'absolute', label: L.absolute[lang] },
        ]}
        onChange={(v) => set({ deadlineMode: v as Draft['deadlineMode'] })}
      />
      {d.deadlineMode === 'absolute' ? (
        <TextField
          label={L.at[lang]}
          type="datetime-local"
          value={d.at}
          onInput={(v) => set({ at: v })}
          error={fields['deadline.at']}
        />
      ) : (
        <TextField
          label={L.days[lang]}
          type="number"
          min={0}
          value={d.days}
          onInput={(v) => set({ days: v })}
          error={fields['deadline.days']}
        />
      )}
      <TextField
        label={L.reminderDays[lang]}
        type="number"
        min={1}
        value={d.reminderDays}
        onInput={(v) => set({ reminderDays: v })}
      />
      <SelectField
        label={L.consolidator[lang]}
        value={d.consolidator}
        options={[
          { value: 'main', label: L.mainPoint[lang] },
          ...m.sites.map((s) => ({ value: s.siteId, label: props.nameOf(s.siteId) })),
        ]}
        onChange={(v) => set({ consolidator: v })}
      />
      <fieldset>
        <legend>{L.sites[lang]}</legend>
        {m.sites.map((s) => (
          <Checkbox
            key={s.siteId}
            label={props.nameOf(s.siteId)}
            checked={d.siteIds.includes(s.siteId)}
            onChange={(on) =>
              set({
                siteIds: on ? [...d.siteIds, s.siteId] : d.siteIds.filter((x) => x !== s.siteId),
              })
            }
          />
        ))}
      </fieldset>
      <fieldset>
        <legend>{L.outline[lang]}</legend>
        {d.sections.map((s, i) => (
          <div
            key={s.id}
            class="outline-row"
            style={{ marginLeft: (s.level ?? 1) > 1 ? '24px' : 0 }}
          >
            <TextField
              label={L.number[lang]}
              value={s.number ?? ''}
              onInput={(v) => setSection(i, { number: v })}
            />
            <TextField
              label={L.sectionTitle[lang]}
              required
              value={s.title}
              onInput={(v) => setSection(i, { title: v })}
              error={fields[`sections.${i}.title`]}
            />
            <TextField
              label={L.hint[lang]}
              multiline
              value={s.hint ?? ''}
              onInput={(v) => setSection(i, { hint: v })}
            />
            <div class="outline-flags">
              <Checkbox
                label={L.required[lang]}
                checked={s.required ?? true}
                onChange={(v) => setSection(i, { required: v })}
              />
              <Checkbox
                label={L.sub[lang]}
                checked={(s.level ?? 1) > 1}
                onChange={(v) => setSection(i, { level: v ? 2 : 1 })}
              />
              <button
                type="button"
                class="small"
                onClick={() => set({ sections: d.sections.filter((_, j) => j !== i) })}
              >
                {L.remove[lang]}
              </button>
            </div>
          </div>
        ))}
        <button
          type="button"
          class="small"
          onClick={() =>
            set({
              sections: [
                ...d.sections,
                {
                  id: `s${Date.now().toString(36)}`,
                  number: String(d.sections.length + 1),
                  title: '',
                  required: true,
                  level: 1,
                },
              ],
            })
          }
        >
          {L.addSection[lang]}
        </button>
      </fieldset>
      <div class="form-actions">
        <button type="submit" class="primary">
          {L.save[lang]}
        </button>
        <button type="button" onClick={props.onDone}>
          {L.cancel[lang]}
        </button>
      </div>
    </form>
  );
}
