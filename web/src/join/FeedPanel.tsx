import { useEffect, useState } from 'preact/hooks';
import { type Feed, type FeedSource, ingestBoardSchema } from '../../../protocol/ingest.js';
import type { MeetingClient } from '../../client/MeetingClient.js';
import { api } from '../api.js';
import { useI18n } from '../i18n.js';
import { ErrorNotice } from '../ui.js';

/** Text of this panel, as data: Vietnamese first, English second. */
const L = {
  title: { vi: 'Nguồn hình và tiếng', en: 'Picture and sound source' },
  livePage: { vi: 'Đang phát: webcam của trang này', en: 'Live: this page’s webcam' },
  liveEncoder: { vi: 'Đang phát: bộ mã hóa', en: 'Live: the encoder' },
  noEncoder: {
    vi: 'Chưa có bộ mã hóa (WHIP, RTMP, SRT) nào phát vào điểm này.',
    en: 'No encoder (WHIP, RTMP, SRT) publishes for this point.',
  },
  encoderWaiting: {
    vi: 'Bộ mã hóa chưa gửi hình: các điểm cầu nhận webcam của trang.',
    en: 'The encoder sends nothing yet: the sites receive this page’s webcam.',
  },
  useEncoder: { vi: 'Phát từ bộ mã hóa', en: 'Use the encoder' },
  usePage: { vi: 'Phát từ webcam', en: 'Use the webcam' },
  switchNote: {
    vi: 'Chuyển nguồn không làm gián đoạn phiên họp: các điểm cầu nhận nguồn mới sau vài giây.',
    en: 'Switching does not interrupt the session: the sites get the new source within seconds.',
  },
  bitrate: { vi: 'Tốc độ', en: 'Bitrate' },
  resolution: { vi: 'Độ phân giải', en: 'Resolution' },
  copied: { vi: 'chuyển tiếp nguyên bản', en: 'forwarded as sent' },
  encoded: { vi: 'mã hóa lại (có B-frame)', en: 're-encoded (B-frames)' },
  unknown: { vi: 'bộ mã hóa tự quyết', en: 'as the encoder sends' },
} as const;

const viaName: Record<string, string> = { whip: 'WHIP', rtmp: 'RTMP', srt: 'SRT', pull: 'URL' };

interface Figures {
  kbps: number;
  width?: number;
  height?: number;
  mode?: 'copy' | 'encode';
}

/** The encoder's bitrate and resolution as the server receives it, read every 2 s. */
function useEncoderFigures(meetingId: string, endpointId: string | undefined, on: boolean) {
  const [figures, setFigures] = useState<Figures>();
  useEffect(() => {
    if (!on || !endpointId) {
      setFigures(undefined);
      return;
    }
    let stopped = false;
    const read = async () => {
      const board = ingestBoardSchema.parse(await api('GET', `/api/meetings/${meetingId}/ingest`));
      const stream = board.streams.find((s) => s.endpointId === endpointId);
      const whip = board.whip.find((w) => w.endpointId === endpointId);
      if (stopped) return;
      setFigures(stream ?? (whip ? { kbps: whip.kbps } : undefined));
    };
    void read().catch(() => {});
    const timer = setInterval(() => void read().catch(() => {}), 2000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [meetingId, endpointId, on]);
  return figures;
}

/**
 * Which source every site receives from this point (its webcam or its encoder), the encoder's
 * figures, and the switch between them. The session owns the choice (chooseFeed); this panel
 * shows what the server says is live.
 */
export function FeedPanel(props: {
  meetingId: string;
  endpointId: string | undefined;
  feed: Feed | undefined;
  client: MeetingClient | undefined;
}) {
  const { lang } = useI18n();
  const { feed, client } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const encoder = feed?.encoder;
  const figures = useEncoderFigures(props.meetingId, props.endpointId, !!encoder);
  const live: FeedSource = feed?.live ?? 'page';

  const choose = async (source: FeedSource) => {
    setBusy(true);
    setError(undefined);
    try {
      await client?.request('chooseFeed', { source });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="panel" data-testid="feed-panel">
      <h2>{L.title[lang]}</h2>
      <p role="status" aria-live="polite" data-testid="feed-live" data-live={live}>
        <span class={`badge ${live === 'encoder' ? 'info' : 'ok'}`}>
          {live === 'encoder' ? L.liveEncoder[lang] : L.livePage[lang]}
          {live === 'encoder' && encoder ? ` (${viaName[encoder.via]})` : ''}
        </span>
      </p>
      {!encoder ? <p class="muted">{L.noEncoder[lang]}</p> : null}
      {encoder && !encoder.sending ? <p class="muted">{L.encoderWaiting[lang]}</p> : null}
      {encoder && figures ? (
        <dl class="muted" data-testid="feed-figures">
          <dt>{L.bitrate[lang]}</dt>
          <dd data-testid="feed-kbps">{figures.kbps} kbps</dd>
          <dt>{L.resolution[lang]}</dt>
          <dd data-testid="feed-resolution">
            {figures.width && figures.height
              ? `${figures.width}×${figures.height}`
              : L.unknown[lang]}
            {figures.mode ? ` — ${figures.mode === 'copy' ? L.copied[lang] : L.encoded[lang]}` : ''}
          </dd>
        </dl>
      ) : null}
      {encoder || feed?.chosen === 'page' ? (
        <>
          <button
            type="button"
            class={feed?.chosen === 'page' ? 'primary' : ''}
            style={{ width: '100%' }}
            disabled={busy || !client || feed?.chosen !== 'page'}
            onClick={() => void choose('encoder')}
            data-testid="feed-use-encoder"
          >
            {L.useEncoder[lang]}
          </button>
          <button
            type="button"
            style={{ width: '100%', marginTop: '8px' }}
            disabled={busy || !client || feed?.chosen === 'page'}
            onClick={() => void choose('page')}
            data-testid="feed-use-page"
          >
            {L.usePage[lang]}
          </button>
          <p class="muted">{L.switchNote[lang]}</p>
        </>
      ) : null}
      <ErrorNotice error={error} />
    </div>
  );
}
