import { useEffect, useState } from 'preact/hooks';
import type { BroadcastSettings, BroadcastStatus } from '../../../protocol/broadcast.js';
import { formatDateTime } from '../../../protocol/time.js';
import { api } from '../api.js';
import { useI18n } from '../i18n.js';
import { Checkbox, ErrorNotice, formatDuration, TextField, toast } from '../ui.js';
import { useLoad } from '../useLoad.js';

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 * 1024) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} kB`;
}

/**
 * Recording and live out on the IT meeting page: start and stop, the settings (record with the
 * session, RTMP ingest, HLS for viewer links), and the recorded segments to download.
 */
export function BroadcastCard(props: { meetingId: string }) {
  const { t } = useI18n();
  const id = props.meetingId;
  const status = useLoad(() => api<BroadcastStatus>('GET', `/api/meetings/${id}/broadcast`), [id]);
  const [draft, setDraft] = useState<BroadcastSettings>();
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const timer = setInterval(() => void status.reload(), 5000);
    return () => clearInterval(timer);
  }, [status.reload]);
  const s = status.data;
  const settings = draft ?? s?.settings;

  const run = async (name: string, fn: () => Promise<unknown>, done: string) => {
    setBusy(name);
    setError(undefined);
    try {
      await fn();
      toast(done);
      await status.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section class="card" aria-labelledby="h-broadcast" data-testid="broadcast-card">
      <h2 id="h-broadcast">{t('broadcastTitle')}</h2>
      {s?.recording.recording ? (
        <div class="status-banner recording" role="status" data-testid="it-recording-banner">
          <span aria-hidden="true">● </span>
          {t('recordingBanner')}
        </div>
      ) : null}
      <ErrorNotice error={error ?? status.error} />
      {s ? (
        <>
          <div class="row" style={{ gap: '8px', flexWrap: 'wrap' }}>
            <button
              type="button"
              disabled={busy !== undefined || !s.sessionOpen}
              onClick={() =>
                void run(
                  'rec',
                  () =>
                    api(
                      'POST',
                      `/api/meetings/${id}/recording/${s.recording.recording ? 'stop' : 'start'}`,
                    ),
                  t(s.recording.recording ? 'recordingStopped' : 'recordingStarted'),
                )
              }
              data-testid="it-toggle-recording"
            >
              {s.recording.recording ? `■ ${t('stopRecording')}` : `● ${t('startRecording')}`}
            </button>
            <button
              type="button"
              disabled={busy !== undefined || !s.sessionOpen}
              onClick={() =>
                void run(
                  'live',
                  () =>
                    api('POST', `/api/meetings/${id}/live-out/${s.liveOut.on ? 'stop' : 'start'}`),
                  t(s.liveOut.on ? 'liveOutStopped' : 'liveOutStarted'),
                )
              }
              data-testid="toggle-live-out"
            >
              {s.liveOut.on ? `■ ${t('stopLiveOut')}` : `▶ ${t('startLiveOut')}`}
            </button>
            <span class="muted" role="status">
              {s.sessionOpen ? '' : t('broadcastNeedsSession')}
              {s.liveOut.on && s.settings.rtmpUrl
                ? `RTMP: ${t(`push_${s.liveOut.rtmp.status}`)}${
                    s.liveOut.rtmp.lastError ? ` (${s.liveOut.rtmp.lastError})` : ''
                  }`
                : ''}
            </span>
          </div>
          {settings ? (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                void run(
                  'settings',
                  async () => {
                    await api('PUT', `/api/meetings/${id}/broadcast/settings`, settings);
                    setDraft(undefined);
                  },
                  t('broadcastSaved'),
                );
              }}
            >
              <Checkbox
                label={t('recordWithSession')}
                checked={settings.recordWithSession}
                onChange={(v) => setDraft({ ...settings, recordWithSession: v })}
              />
              <Checkbox
                label={t('hlsForViewers')}
                checked={settings.hls}
                onChange={(v) => setDraft({ ...settings, hls: v })}
              />
              <TextField
                label={t('rtmpUrl')}
                value={settings.rtmpUrl ?? ''}
                onInput={(v) => {
                  const { rtmpUrl: _old, ...rest } = settings;
                  setDraft(v ? { ...rest, rtmpUrl: v } : rest);
                }}
              />
              <button type="submit" class="primary" disabled={busy !== undefined || !draft}>
                {t('save')}
              </button>
            </form>
          ) : null}
          <h3>{t('recordings')}</h3>
          {s.segments.length === 0 ? (
            <p class="muted">{t('noRecordings')}</p>
          ) : (
            <table data-testid="recordings">
              <thead>
                <tr>
                  <th>{t('recordingStart')}</th>
                  <th>{t('recordingDuration')}</th>
                  <th>{t('recordingSize')}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {s.segments.map((seg) => (
                  <tr key={seg.file}>
                    <td>{formatDateTime(seg.startedAt)}</td>
                    <td>
                      {seg.durationMs !== undefined
                        ? formatDuration(seg.durationMs)
                        : t('recordingCut')}
                    </td>
                    <td>{formatBytes(seg.bytes)}</td>
                    <td>
                      <a href={`/api/meetings/${id}/recordings/${seg.file}`} download>
                        {t('downloadFile')}
                      </a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      ) : null}
    </section>
  );
}
