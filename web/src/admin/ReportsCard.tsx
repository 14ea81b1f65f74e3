import { useState } from 'preact/hooks';
import type { Meeting } from '../../../protocol/meetings.js';
import { deadlineLabel, type ReportRequest } from '../../../protocol/reports.js';
import { formatDateTime } from '../../../protocol/time.js';
import { api } from '../api.js';
import { useI18n } from '../i18n.js';
import { ErrorNotice } from '../ui.js';
import { useLoad } from '../useLoad.js';
import { Board } from './ReportBoardTable.js';
import { RequestEditor } from './ReportRequestEditor.js';
import { L } from './reportLabels.js';

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
