import { useState } from 'preact/hooks';
import type { MeetingView } from '../../../protocol/meetings.js';
import { ApiError, authHeaders } from '../api.js';
import { useI18n } from '../i18n.js';
import { ErrorNotice } from '../ui.js';

/** Join-link pages authenticate with a header, so documents are fetched, then shown. */
export async function openWithToken(path: string, download?: string): Promise<void> {
  const res = await fetch(path, { headers: authHeaders() });
  if (!res.ok)
    throw new ApiError(res.status === 401 ? 'unauthorized' : 'not_found', undefined, res.status);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  if (download) a.download = download;
  else a.target = '_blank';
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function DocumentsList(props: { view: MeetingView }) {
  const { t, lang } = useI18n();
  const [error, setError] = useState<unknown>();
  const v = props.view;
  const run = (fn: () => Promise<void>) => {
    setError(undefined);
    fn().catch(setError);
  };
  return (
    <section class="card" aria-labelledby="h-docs">
      <h2 id="h-docs">{t('documents')}</h2>
      <ErrorNotice error={error} />
      <ul class="plain">
        <li>
          <button
            type="button"
            class="ghost small"
            onClick={() => run(() => openWithToken(`/api/meetings/${v.id}/convocation`))}
          >
            {lang === 'vi' ? 'Giấy triệu tập' : 'Convocation'}
          </button>
        </li>
        <li>
          <button
            type="button"
            class="ghost small"
            onClick={() =>
              run(() => openWithToken(`/api/meetings/${v.id}/check.ics`, `kiem-tra-${v.id}.ics`))
            }
          >
            {t('calendarCheck')}
          </button>
        </li>
        <li>
          <button
            type="button"
            class="ghost small"
            onClick={() =>
              run(() => openWithToken(`/api/meetings/${v.id}/meeting.ics`, `hoi-nghi-${v.id}.ics`))
            }
          >
            {t('calendarMeeting')}
          </button>
        </li>
        {v.attachments.map((a) => (
          <li key={a.id}>
            {a.kind === 'link' && a.url ? (
              <a href={a.url} target="_blank" rel="noopener noreferrer">
                {a.title}
              </a>
            ) : (
              <button
                type="button"
                class="ghost small"
                onClick={() =>
                  run(() =>
                    openWithToken(
                      `/api/meetings/${v.id}/attachments/${a.id}`,
                      a.fileName ?? a.title,
                    ),
                  )
                }
              >
                {a.title}
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
