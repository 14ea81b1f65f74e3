import type { types } from 'mediasoup';
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
import type { BusRequest } from '../../protocol/clusterBus.js';
import { AppError } from '../../protocol/errors.js';
import { sameText } from '../../protocol/text.js';
import type { Logger } from '../logger.js';
import type { ClusterBus } from './ClusterBus.js';

/*
 * A meeting's media over several nodes. Pipes are pulled, never pushed: a session that wants a
 * producer of another node asks that node for it ('cascade.want', naming itself by its epoch),
 * and the sending node opens a PipeTransport pair between its router and that session's router
 * over the cluster bus (its end: address, port, SRTP keys; the receiver opens its own end,
 * connects and answers with it; the sender connects), then sends the producer across with its id
 * kept, so consumers on the receiving node name it as the sender does. A want means "I do not
 * hold it": the sender sends it again even if it believes it did. A pipe addressed to a session
 * that has since closed is refused (the session that opens next asks for itself), and a receiver
 * drops what a node that stopped sent it.
 */

/** The receiving side's session of a meeting: who it is and where pipes into it arrive. */
export interface ReceivingSession {
  /** Changes whenever the node's session of the meeting is replaced. */
  epoch: string;
  router: types.Router;
  workerIndex: number;
}

export interface CascadeOptions {
  bus: ClusterBus;
  nodeId: string;
  address: PipeAddress;
  /** Whether a node still lives (the receiving side drops pipes of a node that died). */
  alive(nodeId: string): Promise<boolean>;
  /** The meeting's session on this node, if one is open. */
  receiver(meetingId: string): ReceivingSession | undefined;
  /** One of this node's own producers of the meeting and its router (the sending side). */
  producer(
    meetingId: string,
    producerId: string,
  ): { router: types.Router; producer: types.Producer } | undefined;
  /** A producer of another node arrived for the meeting's session here. */
  arrived(meetingId: string, producer: types.Producer, workerIndex: number): void;
  logger: Logger;
  /** How often the receiving side checks that the senders of its pipes live (ms). */
  watchMs?: number;
}

/** One producer sent on a link. */
interface Sent {
  done: Promise<void>;
  settled: boolean;
  consumer?: types.Consumer;
  /** Replaced by a new send: its close tells the receiver nothing. */
  superseded?: boolean;
}

/** The sending side of one pipe: one of its routers to one receiving session of another node. */
interface OutLink {
  id: string;
  meetingId: string;
  edgeNodeId: string;
  epoch: string;
  transport: types.PipeTransport;
  ready: Promise<void>;
  sent: Map<string, Sent>;
}

/** The receiving side of one pipe, into one session's router. */
interface InLink {
  meetingId: string;
  fromNodeId: string;
  epoch: string;
  workerIndex: number;
  transport: types.PipeTransport;
  producers: Map<string, types.Producer>;
}

const stale = () =>
  new AppError('conflict', sameText('the receiving session was replaced: ask again'));

export class Cascade {
  private readonly out = new Map<string, OutLink>();
  private readonly in = new Map<string, InLink>();
  /** Wants in flight, so concurrent receivers of one session wait for one. */
  private readonly wanting = new Map<string, Promise<types.Producer>>();
  private readonly log: Logger;
  private readonly watch: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: CascadeOptions) {
    this.log = options.logger.child({ component: 'cascade', nodeId: options.nodeId });
    const { bus } = options;
    bus.handle('cascade.want', async (r, from) => {
      const found = options.producer(r.meetingId, r.producerId);
      if (!found || found.producer.closed)
        throw new AppError('not_found', sameText(`no producer ${r.producerId} here`));
      await this.send(r.meetingId, from, r.epoch, found.router, found.producer, { fresh: true });
      return {};
    });
    bus.handle('cascade.open', (r, from) => this.openIn(r, from));
    bus.handle('cascade.produce', async (r) => {
      await this.receive(r);
      return {};
    });
    bus.handle('cascade.pause', async (r) => {
      const producer = this.in.get(r.linkId)?.producers.get(r.producerId);
      if (producer) await (r.paused ? producer.pause() : producer.resume());
      return {};
    });
    bus.handle('cascade.unproduce', async (r) => {
      this.in.get(r.linkId)?.producers.get(r.producerId)?.close();
      return {};
    });
    bus.handle('cascade.close', async (r) => {
      this.in.get(r.linkId)?.transport.close();
      return {};
    });
    // The receiving side closed its end (its session closed): the sending side closes its own.
    bus.handle('cascade.dropped', async (r) => {
      for (const link of this.out.values()) if (link.id === r.linkId) link.transport.close();
      return {};
    });
    this.watch = setInterval(() => void this.dropOrphans(), options.watchMs ?? 1000);
    this.watch.unref();
  }

  // ---- the receiving side asks ----

  /**
   * The producer `producerId` of `fromNodeId`, piped into this node's session of the meeting:
   * the one held if any, else asked for. Rejects when it could not be had (ask again later).
   */
  fetch(meetingId: string, fromNodeId: string, producerId: string): Promise<types.Producer> {
    const session = this.options.receiver(meetingId);
    if (!session) return Promise.reject(new Error(`no session of ${meetingId} here`));
    const here = this.held(meetingId, producerId);
    if (here) return Promise.resolve(here);
    const key = `${session.epoch}|${producerId}`;
    let wanting = this.wanting.get(key);
    if (!wanting) {
      wanting = this.options.bus
        .request(fromNodeId, 'cascade.want', { meetingId, producerId, epoch: session.epoch })
        .then(() => {
          const got = this.held(meetingId, producerId);
          if (!got) throw new Error(`producer ${producerId} not held after it was sent`);
          return got;
        })
        .finally(() => this.wanting.delete(key));
      this.wanting.set(key, wanting);
    }
    return wanting;
  }

  /** A producer of another node held by the meeting's current session here. */
  held(meetingId: string, producerId: string): types.Producer | undefined {
    const epoch = this.options.receiver(meetingId)?.epoch;
    for (const link of this.in.values()) {
      if (link.meetingId !== meetingId || link.epoch !== epoch) continue;
      const p = link.producers.get(producerId);
      if (p && !p.closed) return p;
    }
    return undefined;
  }

  /** Producers other nodes sent to the meeting's current session here, by id. */
  edgeProducers(meetingId: string): ReadonlyMap<string, types.Producer> {
    const epoch = this.options.receiver(meetingId)?.epoch;
    const all = new Map<string, types.Producer>();
    for (const link of this.in.values())
      if (link.meetingId === meetingId && link.epoch === epoch)
        for (const [id, p] of link.producers) if (!p.closed) all.set(id, p);
    return all;
  }

  // ---- the sending side ----

  /**
   * Sends `producer` (on `router`, one of the meeting's routers here) to the session `epoch` of
   * the meeting on `edgeNodeId`, opening the pipe on first use. Resolves once that session holds
   * it. `fresh`: the receiver said it does not hold it; a send that finished is done again.
   */
  async send(
    meetingId: string,
    edgeNodeId: string,
    epoch: string,
    router: types.Router,
    producer: types.Producer,
    options: { fresh?: boolean } = {},
  ): Promise<void> {
    const link = await this.linkTo(meetingId, edgeNodeId, epoch, router);
    let sent = link.sent.get(producer.id);
    if (sent?.settled && options.fresh) {
      this.log.info({ meetingId, edge: edgeNodeId, producerId: producer.id }, 'sent again');
      sent.superseded = true;
      sent.consumer?.close();
      link.sent.delete(producer.id);
      sent = undefined;
    }
    if (!sent) {
      const entry: Sent = { settled: false, done: Promise.resolve() };
      entry.done = this.sendOn(link, producer, entry).then(
        () => {
          entry.settled = true;
        },
        (err: unknown) => {
          if (link.sent.get(producer.id) === entry) link.sent.delete(producer.id);
          // The other side lost its end (its session closed, it restarted): a new pipe next time.
          link.transport.close();
          throw err;
        },
      );
      link.sent.set(producer.id, entry);
      sent = entry;
    }
    return sent.done;
  }

  private async sendOn(link: OutLink, producer: types.Producer, entry: Sent): Promise<void> {
    const { bus } = this.options;
    const { consumer, piped } = await pipeOut(link.transport, producer);
    entry.consumer = consumer;
    const ref = { linkId: link.id, producerId: producer.id };
    const warn = (name: string) => (err: unknown) =>
      this.log.warn({ err, name, linkId: link.id }, 'receiver not told');
    consumer.observer.on('pause', () =>
      bus.request(link.edgeNodeId, 'cascade.pause', { ...ref, paused: true }).catch(warn('pause')),
    );
    consumer.observer.on('resume', () =>
      bus.request(link.edgeNodeId, 'cascade.pause', { ...ref, paused: false }).catch(warn('pause')),
    );
    consumer.observer.once('close', () => {
      if (link.sent.get(producer.id) === entry) link.sent.delete(producer.id);
      if (!entry.superseded && !link.transport.closed)
        bus.request(link.edgeNodeId, 'cascade.unproduce', ref).catch(warn('unproduce'));
    });
    try {
      await bus.request(link.edgeNodeId, 'cascade.produce', {
        linkId: link.id,
        producer: piped as BusRequest<'cascade.produce'>['producer'],
      });
    } catch (err) {
      entry.superseded = true;
      consumer.close();
      throw err;
    }
  }

  private async linkTo(meetingId: string, edgeNodeId: string, epoch: string, router: types.Router) {
    const key = `${meetingId}|${edgeNodeId}|${epoch}|${router.id}`;
    const existing = this.out.get(key);
    if (existing && !existing.transport.closed) {
      await existing.ready;
      return existing;
    }
    if (this.closed) throw new AppError('unavailable', sameText('cascade closed'));
    const transport = await openHostPipe(router, this.options.address);
    const opened: OutLink = {
      id: transport.id,
      meetingId,
      edgeNodeId,
      epoch,
      transport,
      sent: new Map(),
      ready: (async () => {
        const answer = await this.options.bus.request(edgeNodeId, 'cascade.open', {
          meetingId,
          epoch,
          linkId: transport.id,
          end: pipeEndOf(transport, this.options.address),
        });
        await connectHostPipe(transport, answer as PipeEnd);
      })(),
    };
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

  /** Stops sending the meeting to one node (or to all): closes the pipes on both sides. */
  async stop(meetingId: string, edgeNodeId?: string): Promise<void> {
    for (const link of [...this.out.values()]) {
      if (link.meetingId !== meetingId || (edgeNodeId && link.edgeNodeId !== edgeNodeId)) continue;
      link.transport.close();
      await this.options.bus
        .request(link.edgeNodeId, 'cascade.close', { linkId: link.id })
        .catch((err) => this.log.warn({ err, linkId: link.id }, 'receiver not told to close'));
    }
  }

  /** Nodes this node sends the meeting to. */
  edgesOf(meetingId: string): string[] {
    const ids = new Set<string>();
    for (const l of this.out.values()) if (l.meetingId === meetingId) ids.add(l.edgeNodeId);
    return [...ids];
  }

  // ---- the receiving side ----

  private async openIn(r: BusRequest<'cascade.open'>, from: string): Promise<PipeEnd> {
    if (this.closed) throw new AppError('unavailable', sameText('cascade closed'));
    const session = this.options.receiver(r.meetingId);
    // Addressed to a session that closed (or not yet known here): the current one asks itself.
    if (session?.epoch !== r.epoch) throw stale();
    const transport = await openHostPipe(session.router, this.options.address);
    try {
      await connectHostPipe(transport, r.end as PipeEnd);
    } catch (err) {
      transport.close();
      throw err;
    }
    const link: InLink = {
      meetingId: r.meetingId,
      fromNodeId: from,
      epoch: r.epoch,
      workerIndex: session.workerIndex,
      transport,
      producers: new Map(),
    };
    this.in.set(r.linkId, link);
    // The session's router closes with the session, and its pipes with it.
    transport.observer.once('close', () => {
      if (this.in.get(r.linkId) === link) this.in.delete(r.linkId);
      if (!this.closed)
        void this.options.bus
          .request(from, 'cascade.dropped', { linkId: r.linkId })
          .catch(() => {});
    });
    this.log.info({ meetingId: r.meetingId, from, linkId: r.linkId }, 'cascade link in');
    return pipeEndOf(transport, this.options.address);
  }

  private async receive(r: BusRequest<'cascade.produce'>): Promise<void> {
    const link = this.in.get(r.linkId);
    if (!link || link.transport.closed)
      throw new AppError('not_found', sameText(`no cascade link ${r.linkId}`));
    if (this.options.receiver(link.meetingId)?.epoch !== link.epoch) {
      link.transport.close();
      throw stale();
    }
    // A copy with the same id (sent again, or over an older pipe) gives way to this one.
    for (const other of this.in.values())
      if (other.epoch === link.epoch) other.producers.get(r.producer.id)?.close();
    const producer = await pipeIn(link.transport, r.producer as PipedProducer);
    link.producers.set(producer.id, producer);
    producer.observer.once('close', () => {
      if (link.producers.get(producer.id) === producer) link.producers.delete(producer.id);
    });
    this.options.arrived(link.meetingId, producer, link.workerIndex);
  }

  /** Pipes to or from a node that stopped are closed on this side (nobody will say so). */
  private async dropOrphans(): Promise<void> {
    const peers = new Set([
      ...[...this.in.values()].map((l) => l.fromNodeId),
      ...[...this.out.values()].map((l) => l.edgeNodeId),
    ]);
    for (const nodeId of peers) {
      const alive = await this.options.alive(nodeId).catch(() => true);
      if (alive) continue;
      for (const link of [...this.in.values()]) {
        if (link.fromNodeId !== nodeId) continue;
        this.log.warn({ meetingId: link.meetingId, from: nodeId }, 'sender gone');
        link.transport.close();
      }
      for (const link of [...this.out.values()])
        if (link.edgeNodeId === nodeId) link.transport.close();
    }
  }

  /** Both sides: every pipe of this node closed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.watch);
    for (const link of this.out.values()) link.transport.close();
    this.out.clear();
    for (const link of [...this.in.values()]) link.transport.close();
    this.in.clear();
  }
}
