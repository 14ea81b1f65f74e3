import { useState } from 'preact/hooks';
import type { IssuedLink } from '../../../protocol/auth.js';
import { type ReportBoard, reportStatuses, reportStatusLabels } from '../../../protocol/reports.js';
import { formatDateTime } from '../../../protocol/time.js';
import { api } from '../api.js';
import { DataTable } from '../DataTable.js';
import { useI18n } from '../i18n.js';
import { StatusBadge } from '../join/ReportPanel.js';
import { ErrorNotice } from '../ui.js';
import { useLoad } from '../useLoad.js';
import { L } from './reportLabels.js';

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
