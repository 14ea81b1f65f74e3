import type { types } from 'mediasoup';
import type { EndpointAppData, MediaEndpoint } from './MediaEndpoint.js';

/** One RTP stream a local process sends into the SFU. */
export interface PlainTrack {
  kind: types.MediaKind;
  /** The endpoint's source it becomes (camera, microphone). */
  source: string;
  codec: types.RtpCodecParameters;
  ssrc: number;
}

/** Where the sending process must send a track, and from where. */
export interface PlainTrackPorts {
  /** The transport's port on 127.0.0.1 (RTP and RTCP muxed). */
  port: number;
  /** The sender's own port: the transport accepts packets from this one only. */
  senderPort: number;
}

/** H.264 as the routers carry it (mediaCodecs.ts): baseline profile, packetization mode 1. */
export const plainH264: types.RtpCodecParameters = {
  mimeType: 'video/H264',
  payloadType: 96,
  clockRate: 90000,
  parameters: {
    'packetization-mode': 1,
    'profile-level-id': '42e01f',
    'level-asymmetry-allowed': 1,
  },
  rtcpFeedback: [],
};

export const plainOpus: types.RtpCodecParameters = {
  mimeType: 'audio/opus',
  payloadType: 100,
  clockRate: 48000,
  channels: 2,
  parameters: {},
  rtcpFeedback: [],
};

/**
 * Plain RTP from a local process (FFmpeg, GStreamer) into a MediaEndpoint: one PlainTransport
 * per track on 127.0.0.1, connected to the sender's fixed port so a restarted sender is taken
 * back at once. The transports belong to the endpoint (they close with it); producers are made
 * when the sender actually sends, and closed when it stops, so receivers fall back meanwhile.
 */
export class PlainIngest {
  private readonly producers = new Map<string, types.Producer<EndpointAppData>>();

  private constructor(
    private readonly endpoint: MediaEndpoint,
    private readonly tracks: { track: PlainTrack; transport: types.PlainTransport }[],
  ) {}

  static async create(
    endpoint: MediaEndpoint,
    tracks: PlainTrack[],
    senderPorts: number[],
  ): Promise<PlainIngest> {
    const made: { track: PlainTrack; transport: types.PlainTransport }[] = [];
    for (const [i, track] of tracks.entries()) {
      const transport = await endpoint.router.createPlainTransport({
        listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
        rtcpMux: true,
        comedia: false,
        appData: { endpointId: endpoint.id, direction: 'send' },
      });
      endpoint.adoptTransport(transport);
      await transport.connect({ ip: '127.0.0.1', port: senderPorts[i]! });
      made.push({ track, transport });
    }
    return new PlainIngest(endpoint, made);
  }

  get ports(): PlainTrackPorts[] {
    return this.tracks.map(({ transport }) => ({
      port: transport.tuple.localPort,
      senderPort: transport.tuple.remotePort ?? 0,
    }));
  }

  get producing(): boolean {
    return this.producers.size > 0;
  }

  /** The sender sends: a producer per track (idempotent). Returns the new ones. */
  async produce(): Promise<types.Producer<EndpointAppData>[]> {
    const made: types.Producer<EndpointAppData>[] = [];
    for (const { track, transport } of this.tracks) {
      if (this.producers.has(track.source) || transport.closed) continue;
      const producer = await transport.produce<EndpointAppData>({
        kind: track.kind,
        rtpParameters: {
          codecs: [track.codec],
          encodings: [{ ssrc: track.ssrc }],
          rtcp: { cname: `ingest-${this.endpoint.id}`, reducedSize: true },
        },
        appData: { endpointId: this.endpoint.id, source: track.source },
      });
      this.producers.set(track.source, producer);
      producer.observer.once('close', () => {
        if (this.producers.get(track.source) === producer) this.producers.delete(track.source);
      });
      this.endpoint.adoptProducer(producer);
      made.push(producer);
    }
    return made;
  }

  /** The sender stopped: receivers go back to what they had before. */
  stopProducing(): void {
    for (const p of [...this.producers.values()]) p.close();
    this.producers.clear();
  }

  /** Bytes the SFU received on each track so far (the IT board's bitrate). */
  async bytesReceived(): Promise<number> {
    let total = 0;
    for (const { transport } of this.tracks) {
      if (transport.closed) continue;
      const [stats] = await transport.getStats();
      total += stats?.bytesReceived ?? 0;
    }
    return total;
  }
}
