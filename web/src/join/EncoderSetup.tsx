import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { useI18n } from '../i18n.js';
import { ErrorNotice } from '../ui.js';

/** Text of this panel, as data: Vietnamese first, English second. */
const L = {
  title: { vi: 'Nối bộ mã hóa (OBS, bộ trộn hình)', en: 'Connect an encoder (OBS, vision mixer)' },
  whip: {
    vi: 'WHIP (OBS 30+): máy chủ dưới đây, Bearer token là mã trong liên kết của trang này.',
    en: 'WHIP (OBS 30+): the server below; the Bearer token is the token in this page’s link.',
  },
  openRtmp: { vi: 'Mở luồng RTMP', en: 'Open an RTMP stream' },
  openSrt: { vi: 'Mở luồng SRT', en: 'Open an SRT stream' },
  close: { vi: 'Đóng luồng', en: 'Close the stream' },
  server: { vi: 'Máy chủ', en: 'Server' },
  key: { vi: 'Khóa luồng', en: 'Stream key' },
  url: { vi: 'Địa chỉ cho bộ mã hóa', en: 'URL for the encoder' },
  keyNote: {
    vi: 'Khóa là mã của liên kết này: cấp lại liên kết sẽ ngắt luồng.',
    en: 'The key is this link’s token: re-issuing the link ends the stream.',
  },
} as const;

interface Opened {
  id: string;
  protocol: 'rtmp' | 'srt';
  url: string;
}

/**
 * Where the hall's encoder publishes: the WHIP address, or an RTMP/SRT stream this page opens
 * (its URL and key shown once, for the encoder's settings).
 */
export function EncoderSetup(props: { meetingId: string }) {
  const { lang } = useI18n();
  const [opened, setOpened] = useState<Opened>();
  const [error, setError] = useState<unknown>();
  const base = `/api/meetings/${props.meetingId}/ingest/streams`;

  const open = async (protocol: 'rtmp' | 'srt') => {
    setError(undefined);
    try {
      const r = await api<{ id: string; url: string }>('POST', base, { protocol });
      setOpened({ id: r.id, protocol, url: r.url });
    } catch (err) {
      setError(err);
    }
  };
  const close = async () => {
    if (!opened) return;
    setError(undefined);
    try {
      await api('DELETE', `${base}/${opened.id}`);
      setOpened(undefined);
    } catch (err) {
      setError(err);
    }
  };
  // OBS asks for RTMP's server and key apart.
  const rtmp = opened?.protocol === 'rtmp' ? /^(.*\/live)\/(.+)$/.exec(opened.url) : null;

  return (
    <details class="panel" data-testid="encoder-setup">
      <summary>{L.title[lang]}</summary>
      <p class="muted">{L.whip[lang]}</p>
      <code style={{ wordBreak: 'break-all' }}>{`${location.origin}/whip/${props.meetingId}`}</code>
      {opened ? (
        <div data-testid="encoder-stream">
          {rtmp ? (
            <dl>
              <dt>{L.server[lang]}</dt>
              <dd>
                <code style={{ wordBreak: 'break-all' }}>{rtmp[1]}</code>
              </dd>
              <dt>{L.key[lang]}</dt>
              <dd>
                <code style={{ wordBreak: 'break-all' }}>{rtmp[2]}</code>
              </dd>
            </dl>
          ) : (
            <dl>
              <dt>{L.url[lang]}</dt>
              <dd>
                <code style={{ wordBreak: 'break-all' }}>{opened.url}</code>
              </dd>
            </dl>
          )}
          <p class="muted">{L.keyNote[lang]}</p>
          <button type="button" class="danger" onClick={() => void close()}>
            {L.close[lang]}
          </button>
        </div>
      ) : (
        <p>
          <button type="button" onClick={() => void open('rtmp')} data-testid="open-rtmp">
            {L.openRtmp[lang]}
          </button>{' '}
          <button type="button" onClick={() => void open('srt')} data-testid="open-srt">
            {L.openSrt[lang]}
          </button>
        </p>
      )}
      <ErrorNotice error={error} />
    </details>
  );
}
