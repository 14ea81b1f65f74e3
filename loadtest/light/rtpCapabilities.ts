/** The capabilities a light site announces: what Chrome receives, for VP8 and Opus only. */

interface Codec {
  kind: 'audio' | 'video';
  mimeType: string;
  rtcpFeedback?: { type: string; parameter?: string }[];
  [key: string]: unknown;
}
interface HeaderExtension {
  kind: 'audio' | 'video';
  uri: string;
  [key: string]: unknown;
}
export interface RouterCapabilities {
  codecs?: Codec[];
  headerExtensions?: HeaderExtension[];
}

/** The header extensions Chrome negotiates with mediasoup (and that a light site can ignore). */
const EXTENSIONS = new Set([
  'urn:ietf:params:rtp-hdrext:sdes:mid',
  'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'urn:3gpp:video-orientation',
  'urn:ietf:params:rtp-hdrext:toffset',
  'http://www.webrtc.org/experiments/rtp-hdrext/playout-delay',
]);

/** Feedback Chrome offers per kind: NACK, PLI, FIR, transport-cc for video; transport-cc for audio. */
const FEEDBACK: Record<'audio' | 'video', Set<string>> = {
  video: new Set(['nack', 'nack pli', 'ccm fir', 'transport-cc']),
  audio: new Set(['transport-cc']),
};

export function lightRtpCapabilities(router: RouterCapabilities): RouterCapabilities {
  const media = (router.codecs ?? []).filter((c) => /^(audio\/opus|video\/VP8)$/i.test(c.mimeType));
  const kept = new Set(media.map((c) => c.preferredPayloadType));
  const rtx = (router.codecs ?? []).filter(
    (c) =>
      /^video\/rtx$/i.test(c.mimeType) &&
      kept.has((c.parameters as { apt?: unknown } | undefined)?.apt),
  );
  return {
    codecs: [...media, ...rtx].map((c) => ({
      ...c,
      rtcpFeedback: (c.rtcpFeedback ?? []).filter((f) =>
        FEEDBACK[c.kind].has(f.parameter ? `${f.type} ${f.parameter}` : f.type),
      ),
    })),
    headerExtensions: (router.headerExtensions ?? []).filter((h) => EXTENSIONS.has(h.uri)),
  };
}
