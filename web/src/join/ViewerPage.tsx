import Hls from 'hls.js';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { MeetingView } from '../../../protocol/meetings.js';
import { authHeaders } from '../api.js';
import { useI18n } from '../i18n.js';
import { JoinFrame } from './common.js';

/**
 * A viewer link: the meeting's programme over HLS, read-only (no camera, microphone or
 * socket). Waits and retries while the live out is off.
 */
export function ViewerPage(props: { view: MeetingView }) {
  const { t } = useI18n();
  const video = useRef<HTMLVideoElement>(null);
  const [playing, setPlaying] = useState(false);
  const [generation, setGeneration] = useState(0);
  const src = `/api/meetings/${props.view.id}/live/index.m3u8`;

  useEffect(() => {
    const el = video.current;
    if (!el || !Hls.isSupported()) return;
    const headers = authHeaders();
    const hls = new Hls({
      liveSyncDurationCount: 2,
      xhrSetup: (xhr) => {
        for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
      },
    });
    let retry: ReturnType<typeof setTimeout> | undefined;
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      setPlaying(true);
      void el.play().catch(() => {});
    });
    hls.on(Hls.Events.ERROR, (_e, data) => {
      if (!data.fatal) return;
      setPlaying(false);
      retry = setTimeout(() => setGeneration((g) => g + 1), 5000);
    });
    hls.loadSource(src);
    hls.attachMedia(el);
    return () => {
      if (retry) clearTimeout(retry);
      hls.destroy();
    };
  }, [src, generation]);

  return (
    <JoinFrame title={props.view.title} sub={t('role_viewer')} dark fit>
      <main class="viewer">
        <video
          ref={video}
          muted
          autoplay
          playsInline
          controls
          data-testid="viewer-video"
          style={{ width: '100%', maxHeight: '80vh', background: '#000' }}
        />
        {playing ? null : (
          <p class="muted" role="status" data-testid="viewer-waiting">
            {t('viewerWaiting')}
          </p>
        )}
      </main>
    </JoinFrame>
  );
}
