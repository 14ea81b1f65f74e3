import type { types } from 'mediasoup-client';
import type { MediaSource } from '../../protocol/socket.js';

/** A local track the client sends, kept across reconnects and produced again after each. */
export interface Published {
  track: MediaStreamTrack;
  source: MediaSource;
  simulcast: boolean;
  paused: boolean;
  /** One encoding at this bitrate instead of simulcast (the connection check). */
  maxBitrateBps?: number;
  producer?: types.Producer;
}

/** Simulcast layers for 720p cameras: thumbnails, medium, full. */
const SIMULCAST: types.RtpEncodingParameters[] = [
  { rid: 'r0', scaleResolutionDownBy: 4, maxBitrate: 150_000, scalabilityMode: 'L1T3' },
  { rid: 'r1', scaleResolutionDownBy: 2, maxBitrate: 500_000, scalabilityMode: 'L1T3' },
  { rid: 'r2', scaleResolutionDownBy: 1, maxBitrate: 1_200_000, scalabilityMode: 'L1T3' },
];

/**
 * How a track is sent: cameras in three simulcast layers, a shared screen as one sharp layer,
 * one encoding at a set bitrate for the connection check; voice as mono Opus with DTX and FEC.
 */
export function producerOptions(pub: Published): types.ProducerOptions {
  return {
    track: pub.track,
    stopTracks: false,
    ...(pub.simulcast
      ? { encodings: pub.source === 'screen' ? [{ maxBitrate: 1_500_000 }] : SIMULCAST }
      : {}),
    ...(pub.maxBitrateBps !== undefined ? { encodings: [{ maxBitrate: pub.maxBitrateBps }] } : {}),
    ...(pub.track.kind === 'audio'
      ? { codecOptions: { opusStereo: false, opusDtx: true, opusFec: true } }
      : {}),
    appData: { source: pub.source, paused: pub.paused },
  };
}
