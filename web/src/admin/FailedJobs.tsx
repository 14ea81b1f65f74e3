import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { useI18n } from '../i18n.js';
import { ErrorNotice, toast } from '../ui.js';
import { useLoad } from '../useLoad.js';

interface FailedJob {
  id: string;
  name: string;
  data: unknown;
  failedReason: string;
  attemptsMade: number;
  timestamp: number;
  finishedOn?: number;
}

const dateTime = new Intl.DateTimeFormat('vi-VN', {
  timeZone: 'Asia/Ho_Chi_Minh',
  hour: '2-digit',
  minute: '2-digit',
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hourCycle: 'h23',
});

/** The job queue's failed and stalled items for this meeting, with a retry button. */
export function FailedJobs(props: { meetingId: string }) {
  const { t } = useI18n();
  const jobs = useLoad(
    () =>
      api<{ failed: FailedJob[]; stalled: { jobId: string; at: string }[] }>(
        'GET',
        '/api/jobs/failed',
      ),
    [],
  );
  const [error, setError] = useState<unknown>();
  // The route belongs to the checks issue; a 404 means this server has no job queue.
  if (jobs.error instanceof ApiError && jobs.error.status === 404) return null;
  const mine = (jobs.data?.failed ?? []).filter((j) => {
    const d = j.data as { meetingId?: string } | undefined;
    return !d?.meetingId || d.meetingId === props.meetingId;
  });
  const retry = async (id: string) => {
    setError(undefined);
    try {
      await api('POST', `/api/jobs/${encodeURIComponent(id)}/retry`);
      toast(t('retry'));
      await jobs.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section class="card" aria-labelledby="h-jobs" data-testid="failed-jobs">
      <div class="card-head">
        <h2 id="h-jobs">{t('failedJobs')}</h2>
        <span class="spacer" />
        <button type="button" class="small" onClick={() => void jobs.reload()}>
          {t('reloadData')}
        </button>
      </div>
      <ErrorNotice error={error ?? jobs.error} />
      {jobs.data && mine.length === 0 ? <p class="muted">{t('noFailedJobs')}</p> : null}
      {mine.length ? (
        <table class="data">
          <tbody>
            {mine.map((j) => (
              <tr key={j.id}>
                <th scope="row">{j.name}</th>
                <td>{j.failedReason}</td>
                <td>
                  ×{j.attemptsMade} · {dateTime.format(j.finishedOn ?? j.timestamp)}
                </td>
                <td class="actions">
                  <button type="button" class="small" onClick={() => void retry(j.id)}>
                    {t('retry')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
