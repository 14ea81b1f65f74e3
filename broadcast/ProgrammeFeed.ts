import { createSocket } from 'node:dgram';
import type { types } from 'mediasoup';
import type { EndpointAppData } from '../media/MediaEndpoint.js';
import type { MediaLogger } from '../media/MediaLogger.js';
import type { ProgrammeEncoder } from './ProgrammeEncoder.js';

/** A producer the programme should carry, with the router it lives on. */
export interface FeedSource {
  producer: types.Producer<EndpointAppData>;
  router: types.Router;
}

interface FeedEntry {
  producerId: string;
  transport: types.PlainTransport;
  consumer: types.Consumer;
}

/** A free local UDP port for the composer to bind (it binds it moments later). */
export function freeUdpPort(): Promise<number> {
  return new Promise((ok, fail) => {
    const socket = createSocket('udp4');
    socket.once('error', fail);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => ok(port));
    });
  });
}

/** What the composer can depacketize: the router's codecs without RTX, no header extensions. */
function feedCapabilities(router: types.Router): types.RtpCapabilities {
  return {
    // The composer decodes Opus audio only: a room system's G.722/G.711 is left out of it.
    codecs: (router.rtpCapabilities.codecs ?? []).filter(
      (c) =>
        !c.mimeType.toLowerCase().endsWith('/rtx') &&
        (c.kind === 'video' || c.mimeType === 'audio/opus'),
    ),
    headerExtensions: [],
  };
}

/**
 * The SFU side of the programme: one PlainTransport (comedia off, RTCP muxed) and one consumer
 * per carried producer, sending plain RTP to a local port of the composer. Video consumers are
 * created paused and resumed once the composer listens (the resume asks for a keyframe).
 */
export class ProgrammeFeed {
  private readonly entries = new Map<string, FeedEntry>();
  private readonly adding = new Map<string, Promise<void>>();
  private closed = false;
  private readonly log: MediaLogger;
  /**
   * The composer listens on the input's port now: a new video consumer is resumed (mediasoup
   * then asks its producer for a keyframe, which arrives at an open port; resumed earlier, the
   * keyframe could reach a port not yet bound and the next request wait for the producer's
   * keyframe request delay); a restarted composer's inputs ask for one.
   */
  private readonly onInputAdded = (id: string) => {
    const entry = this.entries.get(id);
    if (entry?.consumer.paused && !entry.consumer.closed)
      void entry.consumer.resume().catch(() => {});
    else void this.requestKeyFrame(id);
  };
  /** The input on screen now, as the composer reports it. */
  private displayedId?: string;
  /** Producers no longer wanted, kept while still on screen (until the next picture decodes). */
  private readonly lingering = new Set<string>();
  private readonly onDisplayed = ({ id }: { id?: string }) => {
    this.displayedId = id;
    for (const producerId of [...this.lingering])
      if (producerId !== id) this.drop(producerId, 'no longer on screen');
  };

  constructor(
    private readonly encoder: ProgrammeEncoder,
    logger: MediaLogger,
  ) {
    this.log = logger.child({ component: 'programme-feed' });
    encoder.on('inputAdded', this.onInputAdded);
    encoder.on('displayed', this.onDisplayed);
  }

  /** Producer ids carried now. */
  get producerIds(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * Carries exactly these sources (adds the new, drops the others); shows `shownId` once it
   * decodes (`fallbackId` meanwhile if the previous picture is gone).
   */
  async sync(
    sources: readonly FeedSource[],
    shownId: string | undefined,
    fallbackId?: string,
  ): Promise<void> {
    const wanted = new Map(sources.map((s) => [s.producer.id, s]));
    for (const id of [...this.entries.keys()]) {
      if (wanted.has(id)) this.lingering.delete(id);
      // The picture on screen stays fed until the composer shows the next one (never a gap).
      else if (id === this.displayedId && !this.entries.get(id)!.consumer.closed)
        this.lingering.add(id);
      else this.drop(id, 'not in the programme');
    }
    await Promise.all(
      [...wanted.values()]
        .filter((s) => !this.entries.has(s.producer.id) && !s.producer.closed)
        .map((s) => this.add(s)),
    );
    // Told before its consumer exists: the composer holds the previous picture meanwhile.
    this.encoder.show(
      shownId && wanted.has(shownId) ? shownId : undefined,
      fallbackId && wanted.has(fallbackId) ? fallbackId : undefined,
    );
    // A keyframe on every switch: the composer decodes the new input from it.
    if (shownId) await this.requestKeyFrame(shownId);
  }

  private add(source: FeedSource): Promise<void> {
    const id = source.producer.id;
    let adding = this.adding.get(id);
    if (!adding) {
      adding = this.create(source)
        .catch((err: unknown) => this.log.warn({ err, producerId: id }, 'cannot feed producer'))
        .finally(() => this.adding.delete(id));
      this.adding.set(id, adding);
    }
    return adding;
  }

  private async create({ producer, router }: FeedSource): Promise<void> {
    const port = await freeUdpPort();
    const transport = await router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: true,
      comedia: false,
      appData: { programme: true },
    });
    try {
      await transport.connect({ ip: '127.0.0.1', port });
      const consumer = await transport.consume({
        producerId: producer.id,
        rtpCapabilities: feedCapabilities(router),
        paused: producer.kind === 'video',
        appData: { endpointId: 'programme', source: producer.appData.source },
      });
      if (this.closed || producer.closed) throw new Error('gone while connecting');
      const codec = consumer.rtpParameters.codecs[0]!;
      const entry: FeedEntry = { producerId: producer.id, transport, consumer };
      this.entries.set(producer.id, entry);
      const gone = () => this.drop(producer.id, 'producer or transport closed');
      consumer.once('producerclose', gone);
      consumer.once('transportclose', gone);
      this.encoder.addInput({
        id: producer.id,
        kind: producer.kind,
        port,
        payloadType: codec.payloadType,
        codec: codec.mimeType.split('/')[1]!,
        clockRate: codec.clockRate,
      });
      this.log.debug({ producerId: producer.id, kind: producer.kind, port }, 'producer fed');
    } catch (err) {
      transport.close();
      throw err;
    }
  }

  /** Asks the producer of a carried video for a keyframe (the composer decodes from one). */
  async requestKeyFrame(producerId: string): Promise<void> {
    const entry = this.entries.get(producerId);
    // A paused consumer asks for one when it is resumed.
    if (entry?.consumer.kind === 'video' && !entry.consumer.closed && !entry.consumer.paused)
      await entry.consumer.requestKeyFrame().catch(() => {});
  }

  async requestKeyFrames(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((id) => this.requestKeyFrame(id)));
  }

  private drop(producerId: string, reason: string): void {
    const entry = this.entries.get(producerId);
    if (!entry) return;
    this.entries.delete(producerId);
    this.lingering.delete(producerId);
    entry.transport.close();
    this.encoder.removeInput(producerId);
    this.log.debug({ producerId, reason }, 'producer no longer fed');
  }

  /** Closes every transport; the encoder belongs to the caller. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.encoder.off('inputAdded', this.onInputAdded);
    this.encoder.off('displayed', this.onDisplayed);
    for (const entry of this.entries.values()) entry.transport.close();
    this.entries.clear();
  }
}
