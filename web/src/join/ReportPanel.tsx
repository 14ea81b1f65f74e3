import { useState } from 'preact/hooks';
import type {
  ReportRequest,
  ReportStatus,
  SiteReport,
  SiteReportList,
} from '../../../protocol/reports.js';
import { deadlineLabel, reportStatusLabels } from '../../../protocol/reports.js';
import { formatDateTime } from '../../../protocol/time.js';
import { ApiError, api, authHeaders } from '../api.js';
import { useI18n } from '../i18n.js';
import { ErrorNotice, Notice, TextField, toast } from '../ui.js';
import { useLoad } from '../useLoad.js';

/** Text of this panel, as data: Vietnamese first, English second. */
const L = {
  title: { vi: 'Báo cáo gửi Ban tổ chức', en: 'Reports for the organizers' },
  none: { vi: 'Không có báo cáo nào phải gửi.', en: 'No report is due from this site.' },
  deadline: { vi: 'Hạn nộp', en: 'Deadline' },
  overdue: { vi: 'Đã quá hạn nộp', en: 'Past the deadline' },
  received: { vi: 'Đã nhận lúc', en: 'Received at' },
  lateNote: { vi: '(nộp muộn)', en: '(late)' },
  lastSaved: { vi: 'Lưu nháp lúc', en: 'Draft saved at' },
  saveDraft: { vi: 'Lưu nháp', en: 'Save draft' },
  submit: { vi: 'Nộp báo cáo', en: 'Submit the report' },
  confirmLate: {
    vi: 'Đã quá hạn nộp. Báo cáo vẫn được nhận và ghi là nộp muộn. Nộp ngay?',
    en: 'The deadline has passed. The report is still received, marked late. Submit now?',
  },
  upload: { vi: 'Tải lên văn bản báo cáo (tùy chọn)', en: 'Upload the report document (optional)' },
  uploaded: { vi: 'Văn bản đã tải lên', en: 'Uploaded document' },
  required: { vi: 'bắt buộc', en: 'required' },
  saved: { vi: 'Đã lưu nháp', en: 'Draft saved' },
  sent: { vi: 'Đã nộp báo cáo', en: 'Report submitted' },
} as const;

const statusClass: Record<ReportStatus, string> = {
  'not-started': 'neutral',
  draft: 'warn',
  submitted: 'ok',
  late: 'danger',
};

export function StatusBadge(props: { status: ReportStatus; overdue?: boolean }) {
  const { lang } = useI18n();
  return (
    <span
      class={`badge ${props.overdue ? 'danger' : statusClass[props.status]}`}
      data-status={props.status}
    >
      {reportStatusLabels[props.status][lang]}
    </span>
  );
}

/** The reports a site must send: fill the outline, save drafts, upload a document, submit. */
export function ReportPanel(props: { meetingId: string }) {
  const { lang } = useI18n();
  const list = useLoad(
    () => api<SiteReportList>('GET', `/api/meetings/${props.meetingId}/my-reports`),
    [props.meetingId],
  );
  return (
    <section class="card" aria-labelledby="h-reports" data-testid="report-panel">
      <h2 id="h-reports">{L.title[lang]}</h2>
      <ErrorNotice error={list.error} onRetry={() => void list.reload()} />
      {list.data && list.data.reports.length === 0 ? <p class="muted">{L.none[lang]}</p> : null}
      {list.data?.reports.map(({ request, report }) => (
        <ReportForm
          key={request.id}
          meetingId={props.meetingId}
          request={request}
          report={report}
          onChange={() => void list.reload()}
        />
      ))}
    </section>
  );
}

function ReportForm(props: {
  meetingId: string;
  request: ReportRequest;
  report: SiteReport;
  onChange: () => void;
}) {
  const { lang } = useI18n();
  const { request, report } = props;
  const [answers, setAnswers] = useState<Record<string, string>>(report.submission?.sections ?? {});
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const url = `/api/meetings/${props.meetingId}/report-requests/${request.id}/sites/${report.siteId}`;
  const closed = report.status === 'submitted' || report.status === 'late';
  const fieldErrors = error instanceof ApiError ? error.fieldErrors(lang) : {};
  const relative = deadlineLabel(request.deadline);
  const version = report.submission?.version;

  const run = async (fn: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
      toast(done);
      props.onChange();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const save = () =>
    run(
      () => api('PUT', url, { sections: answers, ...(version ? { version } : {}) }),
      L.saved[lang],
    );
  const submit = () => {
    if (Date.now() > Date.parse(request.deadlineAt) && !window.confirm(L.confirmLate[lang])) return;
    void run(
      () => api('POST', `${url}/submit`, { sections: answers, ...(version ? { version } : {}) }),
      L.sent[lang],
    );
  };
  const upload = (file: File) =>
    run(async () => {
      const form = new FormData();
      form.append('file', file, file.name);
      const res = await fetch(`${url}/document`, {
        method: 'POST',
        headers: authHeaders(),
        body: form,
      });
      if (!res.ok) {
        throw ApiError.fromBody(res.status, await res.json().catch(() => undefined));
      }
    }, L.uploaded[lang]);

  return (
    <article class="report" data-testid={`report-${request.id}`}>
      <h3>
        {request.title} <StatusBadge status={report.status} overdue={report.overdue} />
      </h3>
      <p>
        {L.deadline[lang]}: <strong>{formatDateTime(request.deadlineAt)}</strong>
        {relative ? ` (${relative[lang]})` : ''}
        {report.overdue ? <span class="badge danger"> {L.overdue[lang]}</span> : null}
      </p>
      {request.instructions ? <p class="hint">{request.instructions}</p> : null}
      {closed && report.submittedAt ? (
        <Notice kind={report.status === 'late' ? 'warn' : 'ok'}>
          <strong data-testid="received">
            {L.received[lang]} {formatDateTime(report.submittedAt)}
          </strong>
          {report.status === 'late' ? ` ${L.lateNote[lang]}` : ''}
        </Notice>
      ) : report.savedAt ? (
        <p class="muted">
          {L.lastSaved[lang]} {formatDateTime(report.savedAt)}
        </p>
      ) : null}
      <ErrorNotice error={error} />
      {request.sections.map((s) => {
        const label = `${s.number ? `${s.number}. ` : ''}${s.title}`;
        return s.level === 1 && !s.required && hasChildren(request, s.id) ? (
          <h4 key={s.id} class="report-part">
            {label}
          </h4>
        ) : closed ? (
          <div key={s.id} class="report-answer">
            <h4>{label}</h4>
            <p style={{ whiteSpace: 'pre-wrap' }}>{ownAnswer(answers, s.id)}</p>
          </div>
        ) : (
          <TextField
            key={s.id}
            id={`sec-${request.id}-${s.id}`}
            label={label}
            required={s.required}
            multiline
            value={ownAnswer(answers, s.id)}
            onInput={(v) => setAnswers((a) => ({ ...a, [s.id]: v }))}
            {...(s.hint ? { hint: s.hint } : {})}
            error={fieldErrors[`sections.${s.id}`]}
          />
        );
      })}
      {report.submission?.document ? (
        <p>
          {L.uploaded[lang]}: <strong>{report.submission.document.fileName}</strong>
        </p>
      ) : null}
      {closed ? null : (
        <>
          <div class="field">
            <label for={`up-${request.id}`}>{L.upload[lang]}</label>
            <input
              id={`up-${request.id}`}
              type="file"
              accept=".pdf,.doc,.docx,.odt,.rtf,.txt,.xls,.xlsx,.zip"
              disabled={busy}
              onChange={(e) => {
                const file = (e.currentTarget as HTMLInputElement).files?.[0];
                if (file) void upload(file);
              }}
            />
          </div>
          <div class="form-actions">
            <button type="button" disabled={busy} onClick={() => void save()}>
              {L.saveDraft[lang]}
            </button>
            <button type="button" class="primary" disabled={busy} onClick={submit}>
              {L.submit[lang]}
            </button>
          </div>
        </>
      )}
    </article>
  );
}

/** A part heading ("1. Tình hình triển khai") whose points follow it is shown as a heading only. */
function hasChildren(request: ReportRequest, id: string): boolean {
  const i = request.sections.findIndex((s) => s.id === id);
  return (request.sections[i + 1]?.level ?? 1) > 1;
}

/** A section's answer by own key only (a section id may be `toString`). */
function ownAnswer(answers: Record<string, string>, id: string): string {
  return Object.hasOwn(answers, id) ? (answers[id] ?? '') : '';
}
