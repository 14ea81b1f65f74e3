import { useEffect, useState } from 'preact/hooks';
import type { MeetingClient, RemoteTrack } from '../../client/MeetingClient.js';
import { useI18n } from '../i18n.js';
import { AudioOut, ErrorNotice, VideoView } from '../ui.js';

/**
 * IT staff's two-way call with one site, as the technical rehearsal is done today: IT's camera
 * and microphone go to that site only, and IT sees and hears the site.
 */
export function CallPanel(props: {
  client: MeetingClient;
  siteId: string;
  siteName: string;
  tracks: RemoteTrack[];
  onEnd: () => void;
}) {
  const { t } = useI18n();
  const [local, setLocal] = useState<MediaStream>();
  const [connected, setConnected] = useState(false);
  const [error, setError] = useState<unknown>();
  const { client, siteId } = props;

  useEffect(() => {
    let stream: MediaStream | undefined;
    let cancelled = false;
    (async () => {
      try {
        await client.request('startItCall', { siteId });
        stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
        if (cancelled) return;
        setLocal(stream);
        const video = stream.getVideoTracks()[0];
        const audio = stream.getAudioTracks()[0];
        if (video) await client.publish(video, 'camera');
        if (audio) await client.publish(audio, 'microphone');
        setConnected(true);
      } catch (err) {
        if (!cancelled) setError(err);
      }
    })();
    return () => {
      cancelled = true;
      void client.unpublish('camera');
      void client.unpublish('microphone');
      for (const tr of stream?.getTracks() ?? []) tr.stop();
      void client.request('endItCall', {}).catch(() => {});
    };
  }, [client, siteId]);

  const video = props.tracks.find(
    (tr) => tr.siteId === siteId && tr.kind === 'video' && tr.source === 'camera',
  );
  const audio = props.tracks.filter((tr) => tr.siteId === siteId && tr.kind === 'audio');
  return (
    <section class="card" aria-labelledby="h-call" style={{ background: '#0d1620', color: '#fff' }}>
      <div class="card-head">
        <h3 id="h-call" style={{ color: '#fff' }} aria-live="polite">
          {connected ? t('callWith', { site: props.siteName }) : t('callConnecting')}
        </h3>
        <span class="spacer" />
        <button type="button" class="danger" onClick={props.onEnd} data-testid="end-call">
          {t('endCall')}
        </button>
      </div>
      <ErrorNotice error={error} />
      <div class="grid-2">
        <VideoView
          track={video?.track}
          caption={props.siteName}
          placeholder={t('callConnecting')}
          aria-label={props.siteName}
        />
        <VideoView
          track={local?.getVideoTracks()[0]}
          caption={t('ownPreview')}
          mirror
          aria-label={t('ownPreview')}
        />
      </div>
      <AudioOut tracks={audio.map((a) => a.track)} />
    </section>
  );
}
