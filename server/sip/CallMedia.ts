import type { types } from 'mediasoup';
import type { EndpointAppData } from '../../media/MediaEndpoint.js';
import type { MediaLogger } from '../../media/MediaLogger.js';
import { RtpLatch } from '../../media/RtpLatch.js';
import type { MeetingSession } from '../../signaling/session/MeetingSession.js';
import type { Participant } from '../../signaling/session/Participant.js';
import type { RoomFeed } from './RoomFeed.js';
import type { ChosenMedia, LocalMedia } from './sdpOffer.js';

export interface CallMediaOptions {
  session: MeetingSession;
  participant: Participant;
  feed: RoomFeed;
  listenIp: string;
  portMin: number;
  portMax: number;
  logger: MediaLogger;
}

/** One m-line of the call: the latch in front, the PlainTransport, what it produces and consumes. */
interface Stream {
  chosen: ChosenMedia;
  latch: RtpLatch;
  transport: types.PlainTransport<EndpointAppData>;
  producer?: types.Producer;
  consumer?: types.Consumer;
  producing: Promise<void>;
}

const feedback: types.RtcpFeedback[] = [
  { type: 'nack', parameter: '' },
  { type: 'nack', parameter: 'pli' },
  { type: 'ccm', parameter: 'fir' },
];

/**
 * A call's media: per taken m-line an RtpLatch (the ports in our SDP) in front of a mediasoup
 * PlainTransport with SDES-SRTP when the room offered a key. The room's stream is produced as
 * the site's camera or microphone once its SSRC is known (from a=ssrc or the first packet; a
 * new SSRC is produced anew), and the room feed's picture and sound are consumed back to it.
 */
export class CallMedia {
  private readonly streams = new Map<string, Stream>();
  private closed = false;
  private held = false;
  private readonly log: MediaLogger;

  constructor(private readonly options: CallMediaOptions) {
    this.log = options.logger.child({ component: 'sip-media' });
  }

  /** Opens the latch and transport of one taken line; returns what the answer says of it. */
  async add(chosen: ChosenMedia): Promise<LocalMedia> {
    const media = this.options.participant.media;
    if (!media || this.closed) throw new Error('the call has no media endpoint');
    const latch = await RtpLatch.open({
      listenIp: this.options.listenIp,
      portMin: this.options.portMin,
      portMax: this.options.portMax,
      remote: { ip: chosen.remoteIp, rtpPort: chosen.remotePort, rtcpPort: chosen.remoteRtcpPort },
      rtcpMux: chosen.rtcpMux,
    });
    let transport: types.PlainTransport<EndpointAppData>;
    try {
      transport = await media.createPlainTransport({
        listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
        rtcpMux: true,
        comedia: false,
        ...(chosen.crypto ? { enableSrtp: true, srtpCryptoSuite: chosen.crypto.suite } : {}),
      });
      latch.connect(transport.tuple.localPort);
      await transport.connect({
        ip: '127.0.0.1',
        port: latch.innerPort,
        ...(chosen.crypto
          ? {
              srtpParameters: {
                cryptoSuite: chosen.crypto.suite,
                keyBase64: chosen.crypto.keyBase64,
              },
            }
          : {}),
      });
    } catch (err) {
      latch.close();
      throw err;
    }
    if (this.closed) {
      // The call ended (a CANCEL) while its ports were opening: nothing may outlive it.
      latch.close();
      transport.close();
      throw new Error('the call has ended');
    }
    const stream: Stream = { chosen, latch, transport, producing: Promise.resolve() };
    this.streams.set(chosen.kind, stream);
    latch.on('error', (err) => this.log.warn({ err: err.message }, 'rtp socket error'));
    latch.on('ssrc', (ssrc) => this.produce(stream, ssrc));
    if (chosen.ssrc !== undefined) this.produce(stream, chosen.ssrc);
    await this.consumeFeed(stream);
    const srtp = transport.srtpParameters;
    return {
      kind: chosen.kind,
      port: latch.port,
      codec: chosen.codec,
      rtcpMux: chosen.rtcpMux,
      ...(chosen.crypto && srtp
        ? { crypto: { tag: chosen.crypto.tag, suite: srtp.cryptoSuite, keyBase64: srtp.keyBase64 } }
        : {}),
      direction: chosen.direction === 'sendrecv' ? 'sendrecv' : mirror(chosen.direction),
    };
  }

  /** The room's stream into the meeting as the site's camera or microphone (serialized per line). */
  private produce(stream: Stream, ssrc: number): void {
    stream.producing = stream.producing
      .then(async () => {
        if (this.closed || stream.producer?.rtpParameters.encodings?.[0]?.ssrc === ssrc) return;
        const media = this.options.participant.media;
        if (!media) return;
        const { codec, kind } = stream.chosen;
        const producer = await media.produce(
          stream.transport.id,
          kind,
          {
            codecs: [
              {
                mimeType: codec.mimeType,
                payloadType: codec.payloadType,
                clockRate: codec.clockRate,
                parameters: codec.parameters,
                rtcpFeedback: kind === 'video' ? feedback : [],
              },
            ],
            encodings: [{ ssrc }],
          },
          kind === 'video' ? 'camera' : 'microphone',
          // The chair's mute holds for a room as for a page.
          kind === 'audio' && this.options.session.chair.isMuted(this.options.participant.siteId),
        );
        stream.producer = producer;
        this.log.info({ kind, ssrc, codec: codec.mimeType }, 'room stream produced');
        if (kind === 'audio') await this.options.session.room.observeAudio(producer);
        this.options.session.participantChanged(this.options.participant);
        this.options.session.consumers.all();
        this.options.feed.sync();
      })
      .catch((err: unknown) =>
        this.log.warn({ err: (err as Error).message, ssrc }, 'room stream not produced'),
      );
  }

  /** The feed's picture or sound in the codec the room took, on the line's own transport. */
  private async consumeFeed(stream: Stream): Promise<void> {
    const producer = this.options.feed.producerFor(stream.chosen.codec.mimeType);
    const media = this.options.participant.media;
    if (!producer || !media) return;
    const { codec, kind } = stream.chosen;
    const caps: types.RtpCapabilities = {
      codecs: [
        {
          kind,
          mimeType: codec.mimeType,
          preferredPayloadType: codec.payloadType,
          clockRate: codec.clockRate,
          parameters: kind === 'video' ? { ...codec.parameters, 'level-asymmetry-allowed': 1 } : {},
          rtcpFeedback: kind === 'video' ? feedback : [],
        },
      ],
      headerExtensions: [],
    };
    const consumer = await this.options.session.room.consumeOn(
      media,
      stream.transport,
      caps,
      producer as types.Producer<EndpointAppData>,
      { appData: { source: 'sip-feed' } },
    );
    if (!consumer) {
      this.log.warn({ codec: codec.mimeType }, 'the room feed cannot be sent in this codec');
      return;
    }
    stream.consumer = consumer;
    // The consumer sends with the router's payload type; the room expects the one it offered.
    const srtp = stream.transport.srtpParameters;
    stream.latch.setOutbound({
      payloadTypes: new Map(
        consumer.rtpParameters.codecs.map((c) => [c.payloadType, codec.payloadType]),
      ),
      ...(srtp
        ? {
            srtp: {
              keyBase64: srtp.keyBase64,
              tagLength: srtp.cryptoSuite.endsWith('_32') ? 4 : 10,
            },
          }
        : {}),
    });
    if (
      !this.held &&
      stream.chosen.direction !== 'sendonly' &&
      stream.chosen.direction !== 'inactive'
    )
      await consumer.resume();
    if (kind === 'video') await consumer.requestKeyFrame().catch(() => {});
  }

  /** Hold (a=sendonly/inactive or c=0.0.0.0) pauses what the room receives; resume restarts it. */
  async hold(on: boolean): Promise<void> {
    this.held = on;
    for (const s of this.streams.values()) {
      if (!s.consumer || s.consumer.closed) continue;
      if (on) await s.consumer.pause();
      else {
        await s.consumer.resume();
        if (s.consumer.kind === 'video') await s.consumer.requestKeyFrame().catch(() => {});
      }
    }
  }

  /** The room moved its media (a re-INVITE). */
  retarget(chosen: ChosenMedia): void {
    const s = this.streams.get(chosen.kind);
    if (!s || chosen.remoteIp === '0.0.0.0') return;
    s.latch.retarget({
      ip: chosen.remoteIp,
      rtpPort: chosen.remotePort,
      rtcpPort: chosen.remoteRtcpPort,
    });
  }

  /** What the answer to a re-INVITE repeats: the same ports and keys, the mirrored direction. */
  localFor(chosen: ChosenMedia): LocalMedia | undefined {
    const s = this.streams.get(chosen.kind);
    if (!s) return undefined;
    const srtp = s.transport.srtpParameters;
    return {
      kind: chosen.kind,
      port: s.latch.port,
      codec: s.chosen.codec,
      rtcpMux: s.chosen.rtcpMux,
      ...(s.chosen.crypto && srtp
        ? {
            crypto: {
              tag: s.chosen.crypto.tag,
              suite: srtp.cryptoSuite,
              keyBase64: srtp.keyBase64,
            },
          }
        : {}),
      direction: mirror(chosen.remoteIp === '0.0.0.0' ? 'inactive' : chosen.direction),
    };
  }

  /** INFO picture_fast_update: the feed's next keyframe reaches this room. */
  async keyFrame(): Promise<void> {
    const video = this.streams.get('video')?.consumer;
    if (video && !video.closed) await video.requestKeyFrame().catch(() => {});
  }

  /** Milliseconds since the room last sent RTP on any line (Infinity before the first). */
  get silentMs(): number {
    let last = 0;
    for (const s of this.streams.values()) last = Math.max(last, s.latch.lastPacketAt);
    return last ? Date.now() - last : Number.POSITIVE_INFINITY;
  }

  get stats(): {
    kind: string;
    port: number;
    packetsIn: number;
    packetsOut: number;
    ssrc?: number;
  }[] {
    return [...this.streams.values()].map((s) => ({
      kind: s.chosen.kind,
      port: s.latch.port,
      packetsIn: s.latch.packetsIn,
      packetsOut: s.latch.packetsOut,
      ...(s.latch.ssrc !== undefined ? { ssrc: s.latch.ssrc } : {}),
    }));
  }

  get transports(): types.PlainTransport[] {
    return [...this.streams.values()].map((s) => s.transport);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) {
      s.latch.close();
      s.transport.close();
    }
    this.streams.clear();
  }
}

function mirror(d: ChosenMedia['direction']): ChosenMedia['direction'] {
  return d === 'sendonly' ? 'recvonly' : d === 'recvonly' ? 'sendonly' : d;
}
