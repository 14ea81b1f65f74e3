import type { types } from 'mediasoup';
import { z } from 'zod';
import {
  connectHostPipe,
  openHostPipe,
  type PipeAddress,
  type PipedProducer,
  type PipeEnd,
  pipeEndOf,
  pipeIn,
  pipeOut,
} from '../../media/HostPipe.js';
import { mediaCodecs } from '../../media/mediaCodecs.js';
import type { WorkerPool } from '../../media/WorkerPool.js';
import type { Logger } from '../logger.js';
import type { ClusterBus } from './ClusterBus.js';

/*
 * A meeting over several nodes. The owner keeps the session; when it sends a producer (the main
 * point's, the floor site's) to another node, it opens a PipeTransport pair between its router
 * and a router of that meeting on the other node (the edge), over the cluster bus: the owner
 * sends its end (address, port, SRTP keys), the edge opens its end, connects to the owner's and
 * answers with its own, the owner connects to it. Each producer then crosses with its id kept,
 * so consumers on the edge name it as the owner does. The edge drops its side when the owner
 * closes it, or when the meeting's lease no longer names that owner (it died).
 */

const pipeEndSchema = z.object({
  ip: z.string().min(1),
  port: z.int().positive(),
  srtpParameters: z.object({ cryptoSuite: z.string(), keyBase64: z.string() }),
});
const pipedSchema = z.object({
  id: z.string().min(1),
  kind: z.enum(['audio', 'video']),
  rtpParameters: z.looseObject({ codecs: z.array(z.looseObject({})) }),
  paused: z.boolean(),
  appData: z.record(z.string(), z.unknown()),
});
const openSchema = z.object({ meetingId: z.string(), linkId: z.string(), end: pipeEndSchema });
const produceSchema = z.object({ linkId: z.string(), producer: pipedSchema });
const producerRefSchema = z.object({
  linkId: z.string(),
  producerId: z.string(),
  paused: z.boolean().optional(),
});
const linkRefSchema = z.object({ linkId: z.string() });

export interface CascadeOptions {
  bus: ClusterBus;
  pool: WorkerPool;
  nodeId: string;
  address: PipeAddress;
  /** Whether a node still heartbeats (the receiving side drops links of a node that died). */
  alive(nodeId: string): Promise<boolean>;
  /**
   * The router of the meeting's session on this node, where piped producers arrive so its
   * endpoints consume them; undefined when no session is open here (the link gets a router of
   * its own, for a node that only relays).
   */
  sessionRouter?(meetingId: string): { router: types.Router; workerIndex: number } | undefined;
  /** A producer of another node arrived for the meeting's session here. */
  arrived?(meetingId: string, producer: types.Producer, workerIndex: number): void;
  logger: Logger;
  /** How often the receiving side checks that the senders of its links are alive (ms). */
  watchMs?: number;
}

/** The sending side of one pipe: one of its routers to one other node. */
interface OutLink {
  id: string;
  meetingId: string;
  edgeNodeId: string;
  transport: types.PipeTransport;
  ready: Promise<void>;
  sent: Map<string, Promise<void>>;
}

/** The receiving side: the meeting's router here and the pipes into it from one node. */
interface EdgeMeeting {
  meetingId: string;
  fromNodeId: string;
  router: Promise<types.Router>;
  workerIndex: number;
  /** The router was opened for the pipes (no session here): it closes with them. */
  ownRouter: boolean;
  links: Map<string, types.PipeTransport>;
  producers: Map<string, types.Producer>;
}

export class Cascade {
  private readonly out = new Map<string, OutLink>();
  /** Receiving side, by `${meetingId}|${fromNodeId}`. */
  private readonly edges = new Map<string, EdgeMeeting>();
  /** Link id → key of its EdgeMeeting. */
  private readonly linkEdge = new Map<string, string>();
  private readonly log: Logger;
  private readonly watch: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: CascadeOptions) {
    this.log = options.logger.child({ component: 'cascade', nodeId: options.nodeId });
    const { bus } = options;
    bus.handle('cascade.open', (p, from) => this.openEdge(openSchema.parse(p), from));
    bus.handle('cascade.produce', (p) => this.receive(produceSchema.parse(p)));
    bus.handle('cascade.pause', async (p) => {
      const r = producerRefSchema.parse(p);
      const producer = this.edgeOfLink(r.linkId)?.producers.get(r.producerId);
      if (producer) await (r.paused ? producer.pause() : producer.resume());
    });
    bus.handle('cascade.unproduce', async (p) => {
      const r = producerRefSchema.parse(p);
      this.edgeOfLink(r.linkId)?.producers.get(r.producerId)?.close();
    });
    bus.handle('cascade.close', async (p) => this.closeEdgeLink(linkRefSchema.parse(p).linkId));
    // The receiving side closed its end (its session closed): the sending side closes its own.
    bus.handle('cascade.dropped', async (p) => {
      const { linkId } = linkRefSchema.parse(p);
      for (const link of this.out.values()) if (link.id === linkId) link.transport.close();
    });
    this.watch = setInterval(() => void this.dropOrphans(), options.watchMs ?? 2000);
    this.watch.unref();
  }

  // ---- the owner's side ----

  /**
   * Sends `producer` (on `router`, one of the meeting's routers here) to the meeting's router on
   * `edgeNodeId`, opening the pipe on first use. Resolves once the edge produces it.
   */
  async send(
    meetingId: string,
    edgeNodeId: string,
    router: types.Router,
    producer: types.Producer,
  ): Promise<void> {
    const link = await this.linkTo(meetingId, edgeNodeId, router);
    let sending = link.sent.get(producer.id);
    if (!sending) {
      sending = this.sendOn(link, producer).catch((err: unknown) => {
        link.sent.delete(producer.id);
        // The other side lost its end (its session closed, it restarted): open a new pipe next time.
        link.transport.close();
        throw err;
      });
      link.sent.set(producer.id, sending);
    }
    return sending;
  }

  private async sendOn(link: OutLink, producer: types.Producer): Promise<void> {
    const { bus } = this.options;
    const { consumer, piped } = await pipeOut(link.transport, producer);
    const ref = (extra: { paused?: boolean } = {}) => ({
      linkId: link.id,
      producerId: producer.id,
      ...extra,
    });
    const tell = (name: string, payload: unknown) =>
      bus
        .request(link.edgeNodeId, name, payload)
        .catch((err) => this.log.warn({ err, name, linkId: link.id }, 'edge not told'));
    consumer.observer.on('pause', () => void tell('cascade.pause', ref({ paused: true })));
    consumer.observer.on('resume', () => void tell('cascade.pause', ref({ paused: false })));
    consumer.observer.once('close', () => {
      link.sent.delete(producer.id);
      if (!link.transport.closed) void tell('cascade.unproduce', ref());
    });
    try {
      await bus.request(link.edgeNodeId, 'cascade.produce', { linkId: link.id, producer: piped });
    } catch (err) {
      consumer.close();
      throw err;
    }
  }

  private async linkTo(meetingId: string, edgeNodeId: string, router: types.Router) {
    const key = `${meetingId}|${edgeNodeId}|${router.id}`;
    let link = this.out.get(key);
    if (link && !link.transport.closed) {
      await link.ready;
      return link;
    }
    const transport = await openHostPipe(router, this.options.address);
    const opened: OutLink = {
      id: transport.id,
      meetingId,
      edgeNodeId,
      transport,
      sent: new Map(),
      ready: (async () => {
        const answer = await this.options.bus.request(edgeNodeId, 'cascade.open', {
          meetingId,
          linkId: transport.id,
          end: pipeEndOf(transport, this.options.address),
        });
        await connectHostPipe(transport, pipeEndSchema.parse(answer) as PipeEnd);
      })(),
    };
    link = opened;
    this.out.set(key, opened);
    transport.observer.once('close', () => {
      if (this.out.get(key) === opened) this.out.delete(key);
    });
    try {
      await opened.ready;
    } catch (err) {
      transport.close();
      throw err;
    }
    this.log.info({ meetingId, edge: edgeNodeId, linkId: transport.id }, 'cascade link open');
    return opened;
  }

  /** Stops sending the meeting to one edge node (or to all): closes the pipes on both sides. */
  async stop(meetingId: string, edgeNodeId?: string): Promise<void> {
    for (const link of [...this.out.values()]) {
      if (link.meetingId !== meetingId || (edgeNodeId && link.edgeNodeId !== edgeNodeId)) continue;
      link.transport.close();
      await this.options.bus
        .request(link.edgeNodeId, 'cascade.close', { linkId: link.id })
        .catch((err) => this.log.warn({ err, linkId: link.id }, 'edge not told to close'));
    }
  }

  /** Edge nodes this node sends the meeting to. */
  edgesOf(meetingId: string): string[] {
    const ids = new Set<string>();
    for (const l of this.out.values()) if (l.meetingId === meetingId) ids.add(l.edgeNodeId);
    return [...ids];
  }

  // ---- the receiving side ----

  private async openEdge(r: z.infer<typeof openSchema>, from: string): Promise<PipeEnd> {
    if (this.closed) throw new Error('cascade closed');
    const key = `${r.meetingId}|${from}`;
    let edge = this.edges.get(key);
    const session = this.options.sessionRouter?.(r.meetingId);
    if (edge && session && edge.ownRouter) {
      // A session opened here since: what arrives now goes to its router.
      this.closeEdge(key);
      edge = undefined;
    }
    if (!edge) {
      let router: Promise<types.Router>;
      let workerIndex: number;
      if (session) {
        router = Promise.resolve(session.router);
        workerIndex = session.workerIndex;
      } else {
        const slot = this.options.pool.leastLoaded();
        if (!slot) throw new Error('no media worker here');
        router = slot.worker.createRouter({ mediaCodecs, appData: { roomId: r.meetingId } });
        workerIndex = slot.index;
      }
      const opened: EdgeMeeting = {
        meetingId: r.meetingId,
        fromNodeId: from,
        router,
        workerIndex,
        ownRouter: !session,
        links: new Map(),
        producers: new Map(),
      };
      edge = opened;
      this.edges.set(key, opened);
      void router
        .then((rt) =>
          rt.observer.once('close', () => {
            if (this.edges.get(key) === opened) this.edges.delete(key);
          }),
        )
        .catch(() => {});
    }
    const router = await edge.router;
    const transport = await openHostPipe(router, this.options.address);
    await connectHostPipe(transport, r.end as PipeEnd);
    const links = edge.links;
    links.set(r.linkId, transport);
    this.linkEdge.set(r.linkId, key);
    transport.observer.once('close', () => {
      links.delete(r.linkId);
      this.linkEdge.delete(r.linkId);
      if (!this.closed)
        void this.options.bus
          .request(from, 'cascade.dropped', { linkId: r.linkId })
          .catch(() => {});
    });
    this.log.info({ meetingId: r.meetingId, from, linkId: r.linkId }, 'cascade link in');
    return pipeEndOf(transport, this.options.address);
  }

  private edgeOfLink(linkId: string): EdgeMeeting | undefined {
    const key = this.linkEdge.get(linkId);
    return key ? this.edges.get(key) : undefined;
  }

  private async receive(r: z.infer<typeof produceSchema>): Promise<void> {
    const edge = this.edgeOfLink(r.linkId);
    const transport = edge?.links.get(r.linkId);
    if (!edge || !transport) throw new Error(`no cascade link ${r.linkId}`);
    edge.producers.get(r.producer.id)?.close();
    const producer = await pipeIn(transport, r.producer as PipedProducer);
    edge.producers.set(producer.id, producer);
    producer.observer.once('close', () => {
      if (edge.producers.get(producer.id) === producer) edge.producers.delete(producer.id);
    });
    if (!edge.ownRouter) this.options.arrived?.(edge.meetingId, producer, edge.workerIndex);
  }

  /** The meeting's router on this node for pipes from other nodes (the first, if several). */
  async edgeRouter(meetingId: string): Promise<types.Router | undefined> {
    for (const edge of this.edges.values()) if (edge.meetingId === meetingId) return edge.router;
    return undefined;
  }

  /** Producers other nodes sent here for the meeting, by id. */
  edgeProducers(meetingId: string): ReadonlyMap<string, types.Producer> {
    const all = new Map<string, types.Producer>();
    for (const edge of this.edges.values())
      if (edge.meetingId === meetingId) for (const [id, p] of edge.producers) all.set(id, p);
    return all;
  }

  private closeEdgeLink(linkId: string): void {
    const key = this.linkEdge.get(linkId);
    const edge = key ? this.edges.get(key) : undefined;
    edge?.links.get(linkId)?.close();
    if (key && edge && edge.links.size === 0) this.closeEdge(key);
  }

  private closeEdge(key: string): void {
    const edge = this.edges.get(key);
    if (!edge) return;
    this.edges.delete(key);
    for (const link of edge.links.values()) link.close();
    // A router of our own goes with its pipes; a session's router belongs to the session.
    if (edge.ownRouter) void edge.router.then((r) => r.close()).catch(() => {});
    this.log.info({ meetingId: edge.meetingId, from: edge.fromNodeId }, 'cascade links closed');
  }

  private async dropOrphans(): Promise<void> {
    for (const [key, edge] of [...this.edges]) {
      const alive = await this.options.alive(edge.fromNodeId).catch(() => true);
      if (!alive) {
        this.log.warn({ meetingId: edge.meetingId, from: edge.fromNodeId }, 'sender gone');
        this.closeEdge(key);
      }
    }
  }

  /** Both sides: every pipe and edge router of this node closed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.watch);
    for (const link of this.out.values()) link.transport.close();
    this.out.clear();
    for (const key of [...this.edges.keys()]) this.closeEdge(key);
  }
}
