import type { types } from 'mediasoup-client';
import type { Requester } from '../../client/request.js';
import type { MediaSource } from '../../protocol/socket.js';

/** A local track the client sends, kept across reconnects and produced again after each. */
export interface Published {
  track: MediaStreamTrack;
  source: MediaSource;
  simulcast: boolean;
  paused: boolean;
  /** One encoding at this bitrate instead of simulcast (the connection check). */
  maxBitrateBps?: number;
  sendBitrateKbps?: SendBitrateKbps;
  producer?: types.Producer;
}

/**
 * The send path's bitrate bounds for the connection check's calibrated stream (SDP
 * x-google-start/max/min-bitrate, kbps): it starts at its rate instead of ramping up from ~300 kbps,
 * may exceed Chromium's per-resolution default cap, and, for the probe, may not drop below `min`.
 * They apply to the whole send path; the next publish without them lifts them.
 */
export interface SendBitrateKbps {
  start: number;
  max: number;
  min?: number;
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
    ...(pub.maxBitrateBps !== undefined
      ? // Temporal layers like the meeting's camera: a lost frame of the upper layers is not
        // referenced, so it does not freeze the picture until the next keyframe.
        { encodings: [{ maxBitrate: pub.maxBitrateBps, scalabilityMode: 'L1T3' }] }
      : {}),
    ...(pub.track.kind === 'audio'
      ? { codecOptions: { opusStereo: false, opusDtx: true, opusFec: true } }
      : {}),
    ...(pub.sendBitrateKbps
      ? {
          codecOptions: {
            videoGoogleStartBitrate: pub.sendBitrateKbps.start,
            videoGoogleMaxBitrate: pub.sendBitrateKbps.max,
            ...(pub.sendBitrateKbps.min !== undefined
              ? { videoGoogleMinBitrate: pub.sendBitrateKbps.min }
              : {}),
          },
        }
      : {}),
    appData: { source: pub.source, paused: pub.paused },
  };
}

/**
 * What the page sends: one entry per source (camera, microphone, screen) that outlives
 * reconnects; each (re)connect produces them all again on the new send transport.
 */
export class LocalTracks {
  private readonly published = new Map<MediaSource, Published>();

  constructor(
    private readonly deps: {
      request: Requester;
      /** The current send transport (none before set-up, or for a page that only watches). */
      transport: () => types.Transport | undefined;
      /** Set-up finished: a new track is produced at once, else at the next set-up. */
      connected: () => boolean;
    },
  ) {}

  /** Sends a local track; kept across reconnects. Cameras and screens use simulcast. */
  async publish(
    track: MediaStreamTrack,
    source: MediaSource,
    opts: { paused?: boolean; maxBitrateBps?: number; sendBitrateKbps?: SendBitrateKbps } = {},
  ): Promise<void> {
    const pub: Published = {
      track,
      source,
      simulcast: track.kind === 'video' && opts.maxBitrateBps === undefined,
      paused: opts.paused === true,
      ...(opts.maxBitrateBps !== undefined ? { maxBitrateBps: opts.maxBitrateBps } : {}),
      ...(opts.sendBitrateKbps !== undefined ? { sendBitrateKbps: opts.sendBitrateKbps } : {}),
    };
    const old = this.published.get(source);
    if (old?.producer) {
      old.producer.close();
      await this.deps.request('closeProducer', { producerId: old.producer.id }).catch(() => {});
    }
    this.published.set(source, pub);
    if (this.deps.transport() && this.deps.connected()) await this.produce(pub);
  }

  async unpublish(source: MediaSource): Promise<void> {
    const pub = this.published.get(source);
    this.published.delete(source);
    if (pub?.producer) {
      pub.producer.close();
      await this.deps.request('closeProducer', { producerId: pub.producer.id }).catch(() => {});
    }
  }

  private async produce(pub: Published): Promise<void> {
    const transport = this.deps.transport();
    if (!transport) return;
    pub.producer = await transport.produce(producerOptions(pub));
    if (pub.paused) pub.producer.pause();
  }

  /** Self-mute of the microphone (or camera); the server refuses to unmute while the chair mutes. */
  async setPaused(source: MediaSource, paused: boolean): Promise<void> {
    const pub = this.published.get(source);
    if (!pub) return;
    pub.paused = paused;
    const producer = pub.producer;
    if (!producer) return;
    if (paused) {
      producer.pause();
      await this.deps.request('pauseProducer', { producerId: producer.id });
    } else {
      await this.deps.request('resumeProducer', { producerId: producer.id });
      producer.resume();
    }
  }

  /** After a (re)connect: every kept track on the new transport. */
  async produceAll(): Promise<void> {
    for (const pub of this.published.values()) await this.produce(pub);
  }

  /** The transports closed: their producers are gone with them. */
  forgetProducers(): void {
    for (const pub of this.published.values()) pub.producer = undefined;
  }

  /** The chair unmuted this site: the microphone is no longer held paused. */
  unmutedByChair(): void {
    const mic = this.published.get('microphone');
    if (mic) mic.paused = false;
  }
}
