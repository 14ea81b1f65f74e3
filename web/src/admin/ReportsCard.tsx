import { useState } from 'preact/hooks';
import type { IssuedLink } from '../../../protocol/auth.js';
import type { Meeting } from '../../../protocol/meetings.js';
import {
  deadlineLabel,
  type OutlineSectionInput,
  type ReportBoard,
  type ReportRequest,
  type ReportRequestInput,
  type ReportTemplate,
  reportStatuses,
  reportStatusLabels,
} from '../../../protocol/reports.js';
import { formatDateTime } from '../../../protocol/time.js';
import { ApiError, api } from '../api.js';
import { DataTable } from '../DataTable.js';
import { useI18n } from '../i18n.js';
import { StatusBadge } from '../join/ReportPanel.js';
import { Checkbox, ErrorNotice, SelectField, TextField, toast } from '../ui.js';
import { useLoad } from '../useLoad.js';

const L = {
  title: { vi: 'Báo cáo của các điểm cầu', en: 'Reports from sites' },
  add: { vi: 'Thêm yêu cầu báo cáo', en: 'Ask for a report' },
  edit: { vi: 'Sửa', en: 'Edit' },
  remove: { vi: 'Xóa', en: 'Delete' },
  confirmRemove: {
    vi: 'Xóa yêu cầu báo cáo này cùng mọi báo cáo đã nhận?',
    en: 'Delete this request and every report received?',
  },
  template: { vi: 'Sao chép từ mẫu', en: 'Copy from a template' },
  noTemplate: { vi: '(Không dùng mẫu)', en: '(No template)' },
  reportTitle: { vi: 'Tên báo cáo', en: 'Report title' },
  instructions: { vi: 'Hướng dẫn', en: 'Instructions' },
  deadlineKind: { vi: 'Hạn nộp', en: 'Deadline' },
  relBefore: { vi: 'Số ngày trước hội nghị', en: 'Days before the meeting' },
  relAfter: { vi: 'Số ngày sau hội nghị', en: 'Days after the meeting' },
  absolute: { vi: 'Ngày giờ cụ thể', en: 'A fixed date and time' },
  days: { vi: 'Số ngày', en: 'Days' },
  at: { vi: 'Hạn nộp (giờ Việt Nam)', en: 'Deadline (Vietnam time)' },
  reminderDays: {
    vi: 'Nhắc trước (ngày); nhắc lại 1 ngày trước hạn',
    en: 'Remind N days before; again 1 day before',
  },
  consolidator: { vi: 'Đơn vị tổng hợp', en: 'Consolidated by' },
  mainPoint: { vi: 'Điểm cầu chính', en: 'The main point' },
  sites: { vi: 'Các điểm cầu phải báo cáo', en: 'Sites that must report' },
  outline: { vi: 'Đề cương', en: 'Outline' },
  number: { vi: 'Số', en: 'No.' },
  sectionTitle: { vi: 'Tên mục', en: 'Section title' },
  hint: { vi: 'Gợi ý', en: 'Hint' },
  required: { vi: 'Bắt buộc', en: 'Required' },
  sub: { vi: 'Mục con', en: 'Sub-point' },
  addSection: { vi: 'Thêm mục', en: 'Add a section' },
  save: { vi: 'Lưu yêu cầu', en: 'Save the request' },
  cancel: { vi: 'Hủy', en: 'Cancel' },
  site: { vi: 'Điểm cầu', en: 'Site' },
  status: { vi: 'Tình trạng', en: 'Status' },
  received: { vi: 'Nhận lúc', en: 'Received at' },
  overdue: { vi: 'quá hạn', en: 'overdue' },
  printHtml: { vi: 'Báo cáo tổng hợp (in A4)', en: 'Consolidated report (A4)' },
  docx: { vi: 'Tải .docx', en: 'Download .docx' },
  pdf: { vi: 'Tải PDF', en: 'Download PDF' },
  saved: { vi: 'Đã lưu yêu cầu báo cáo', en: 'Report request saved' },
  reporterLink: { vi: 'Liên kết gửi báo cáo', en: 'Reporter link' },
  issue: { vi: 'Cấp liên kết', en: 'Issue a link' },
} as const;

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

/** IT staff: report requests of the meeting, their editor, and each one's status board. */
export function ReportsCard(props: { meeting: Meeting; nameOf: (id: string) => string }) {
  const { lang } = useI18n();
  const m = props.meeting;
  const requests = useLoad(
    () => api<{ requests: ReportRequest[] }>('GET', `/api/meetings/${m.id}/report-requests`),
    [m.id],
  );
  const [editing, setEditing] = useState<ReportRequest | 'new'>();
  const [error, setError] = useState<unknown>();
  const remove = async (r: ReportRequest) => {
    if (!window.confirm(L.confirmRemove[lang])) return;
    try {
      await api('DELETE', `/api/meetings/${m.id}/report-requests/${r.id}`, undefined, {
        ifMatch: r.version,
      });
      await requests.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section class="card" aria-labelledby="h-reports" data-testid="reports-card">
      <div class="card-head">
        <h2 id="h-reports">{L.title[lang]}</h2>
        <span class="spacer" />
        {editing ? null : (
          <button type="button" class="primary small" onClick={() => setEditing('new')}>
            {L.add[lang]}
          </button>
        )}
      </div>
      <ErrorNotice error={requests.error ?? error} onRetry={() => void requests.reload()} />
      {editing ? (
        <RequestEditor
          meeting={m}
          nameOf={props.nameOf}
          {...(editing === 'new' ? {} : { request: editing })}
          onDone={() => {
            setEditing(undefined);
            void requests.reload();
          }}
        />
      ) : null}
      {requests.data?.requests.map((r) => (
        <div key={r.id} class="report-request">
          <div class="card-head">
            <h3>{r.title}</h3>
            <span class="spacer" />
            <button type="button" class="small" onClick={() => setEditing(r)}>
              {L.edit[lang]}
            </button>
            <button type="button" class="small danger" onClick={() => void remove(r)}>
              {L.remove[lang]}
            </button>
          </div>
          <p>
            {L.deadlineKind[lang]}: <strong>{formatDateTime(r.deadlineAt)}</strong>
            {deadlineLabel(r.deadline) ? ` (${deadlineLabel(r.deadline)![lang]})` : ''}
          </p>
          <Board meetingId={m.id} requestId={r.id} version={r.version} />
          <p>
            <a
              class="button small"
              href={`/api/meetings/${m.id}/report-requests/${r.id}/consolidated.html`}
              target="_blank"
              rel="noopener"
            >
              {L.printHtml[lang]}
            </a>{' '}
            <a
              class="button small"
              href={`/api/meetings/${m.id}/report-requests/${r.id}/consolidated.docx`}
            >
              {L.docx[lang]}
            </a>{' '}
            <a
              class="button small"
              href={`/api/meetings/${m.id}/report-requests/${r.id}/consolidated.pdf`}
            >
              {L.pdf[lang]}
            </a>
          </p>
        </div>
      ))}
    </section>
  );
}

/** Per site: not started, draft, submitted, late, with the time received; overdue rows stand out. */
export function Board(props: { meetingId: string; requestId: string; version: number }) {
  const { lang } = useI18n();
  const [urls, setUrls] = useState<Record<string, string>>({});
  const [linkError, setLinkError] = useState<unknown>();
  // A reporter link: the person who writes the site's report need not be its technician.
  const issue = async (siteId: string) => {
    setLinkError(undefined);
    try {
      const issued = await api<IssuedLink>('POST', `/api/meetings/${props.meetingId}/links`, {
        role: 'reporter',
        siteId,
      });
      setUrls((u) => ({ ...u, [siteId]: issued.url }));
    } catch (err) {
      setLinkError(err);
    }
  };
  const board = useLoad(
    () =>
      api<ReportBoard>(
        'GET',
        `/api/meetings/${props.meetingId}/report-requests/${props.requestId}/board`,
      ),
    [props.meetingId, props.requestId, props.version],
  );
  if (board.error) return <ErrorNotice error={board.error} onRetry={() => void board.reload()} />;
  const b = board.data;
  if (!b) return null;
  return (
    <div data-testid="report-board">
      <ErrorNotice error={linkError} />
      <p>
        {reportStatuses.map((s) => (
          <span key={s} style={{ marginRight: '12px' }}>
            {reportStatusLabels[s][lang]}: <strong>{b.counts[s]}</strong>
          </span>
        ))}
      </p>
      <DataTable columns={[L.site[lang], L.status[lang], L.received[lang], L.reporterLink[lang]]}>
        {b.rows.map((row) => (
          <tr key={row.siteId} class={row.overdue ? 'overdue' : ''} data-status={row.status}>
            <td>{row.siteName}</td>
            <td>
              <StatusBadge status={row.status} overdue={row.overdue} />
              {row.overdue ? ` ${L.overdue[lang]}` : ''}
            </td>
            <td>{row.submittedAt ? formatDateTime(row.submittedAt) : ''}</td>
            <td>
              {urls[row.siteId] ? (
                <input
                  class="link-url"
                  readOnly
                  value={urls[row.siteId]}
                  aria-label={`${L.reporterLink[lang]}: ${row.siteName}`}
                  onFocus={(e) => (e.currentTarget as HTMLInputElement).select()}
                />
              ) : (
                <button type="button" class="small" onClick={() => void issue(row.siteId)}>
                  {L.issue[lang]}
                </button>
              )}
            </td>
          </tr>
        ))}
      </DataTable>
    </div>
  );
}

function RequestEditor(props: {
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
