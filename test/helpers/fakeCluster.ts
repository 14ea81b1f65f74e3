import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import { type BusTransport, ClusterBus } from '../../server/cluster/ClusterBus.js';
import { testLogger } from './logger.js';

/*
 * Fakes for unit tests of the cluster seam: an in-memory pub/sub that can hold back chosen
 * messages (to replay the orders in which a close, an open and a pipe can arrive), and mediasoup
 * routers, pipe transports, producers and consumers that keep only what the cascade relies on
 * (ids, close cascades, same-id rules). No RTP moves: the media itself is tested for real in
 * test/cluster-*.test.ts.
 */

interface Held {
  channel: string;
  message: string;
}

/** One Redis's pub/sub in memory: delivery in order, asynchronous, and holdable. */
export class MemoryPubSub {
  private readonly subs = new Map<string, Set<(m: string) => void>>();
  private holds: { match: (name: string, channel: string) => boolean; held: Held[] }[] = [];
  readonly log: string[] = [];

  transport(): BusTransport {
    const mine: [string, (m: string) => void][] = [];
    return {
      publish: async (channel, message) => this.publish(channel, message),
      subscribe: async (channels, receive) => {
        for (const c of channels) {
          const set = this.subs.get(c) ?? new Set();
          this.subs.set(c, set);
          set.add(receive);
          mine.push([c, receive]);
        }
      },
      subscribers: async (channel) => this.subs.get(channel)?.size ?? 0,
      close: () => {
        for (const [c, fn] of mine) this.subs.get(c)?.delete(fn);
      },
    };
  }

  private publish(channel: string, message: string): number {
    const receivers = this.subs.get(channel)?.size ?? 0;
    const { name } = JSON.parse(message) as { name?: string };
    this.log.push(`${name ?? 'reply'} → ${channel.split(':').pop()}`);
    const hold = this.holds.find((h) => h.match(name ?? 'reply', channel));
    if (hold) hold.held.push({ channel, message });
    else this.deliver(channel, message);
    return receivers;
  }

  private deliver(channel: string, message: string): void {
    for (const fn of [...(this.subs.get(channel) ?? [])]) setImmediate(() => fn(message));
  }

  /** Holds back messages of this name (and channel) until the returned release is called. */
  hold(name: string, channelEndsWith = ''): () => void {
    const entry = {
      match: (n: string, c: string) => n === name && c.endsWith(channelEndsWith),
      held: [] as Held[],
    };
    this.holds.push(entry);
    return () => {
      this.holds = this.holds.filter((h) => h !== entry);
      for (const m of entry.held) this.deliver(m.channel, m.message);
    };
  }
}

export async function memoryBus(hub: MemoryPubSub, nodeId: string): Promise<ClusterBus> {
  return ClusterBus.start({
    transport: hub.transport(),
    prefix: 'unit:',
    nodeId,
    logger: testLogger,
  });
}

let ids = 0;
const nextId = (kind: string) => `${kind}-${++ids}`;

class Closable extends EventEmitter {
  readonly observer = new EventEmitter();
  closed = false;
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closeChildren();
    this.observer.emit('close');
    this.emit('@close');
  }
  /** Like mediasoup: a parent is closed before its children close with it. */
  protected closeChildren(): void {}
}

export class FakeProducer extends Closable {
  readonly id: string;
  paused: boolean;
  constructor(
    readonly router: FakeRouter,
    readonly kind: types.MediaKind,
    options: { id?: string; paused?: boolean; appData?: Record<string, unknown> } = {},
  ) {
    super();
    this.id = options.id ?? nextId('producer');
    this.paused = options.paused ?? false;
    this.appData = options.appData ?? {};
  }
  appData: Record<string, unknown>;
  /** One encoding without layers, as a plain camera's producer has. */
  readonly rtpParameters: { encodings: types.RtpEncodingParameters[] } = { encodings: [{}] };
  async pause() {
    this.paused = true;
  }
  async resume() {
    this.paused = false;
  }
  override close(): void {
    if (this.closed) return;
    if (this.router.producers.get(this.id) === this) this.router.producers.delete(this.id);
    super.close();
  }
}

class FakeConsumer extends Closable {
  readonly id = nextId('consumer');
  readonly rtpParameters = { codecs: [{}] };
  constructor(
    readonly producer: FakeProducer,
    readonly kind: types.MediaKind,
  ) {
    super();
  }
  get producerPaused() {
    return this.producer.paused;
  }
}

class FakePipeTransport extends Closable {
  readonly id = nextId('pipe');
  readonly tuple = { localAddress: '127.0.0.1', localPort: 40000 + (ids % 1000) };
  readonly srtpParameters = { cryptoSuite: 'AEAD_AES_256_GCM', keyBase64: 'a2V5' };
  connected = false;
  private readonly children = new Set<Closable>();
  constructor(readonly router: FakeRouter) {
    super();
  }
  async connect() {
    if (this.closed) throw new Error('transport closed');
    this.connected = true;
  }
  private own<T extends Closable>(child: T): T {
    this.children.add(child);
    child.on('@close', () => this.children.delete(child));
    return child;
  }
  async consume({ producerId }: { producerId: string }) {
    const producer = this.router.producers.get(producerId);
    if (this.closed || !producer) throw new Error(`cannot consume ${producerId}`);
    const consumer = this.own(new FakeConsumer(producer, producer.kind));
    producer.on('@close', () => consumer.close());
    return consumer;
  }
  async produce(o: { id: string; kind: types.MediaKind; paused: boolean; appData: object }) {
    if (this.closed) throw new Error('transport closed');
    if (this.router.producers.has(o.id)) throw new Error(`a producer with id "${o.id}" exists`);
    return this.own(this.router.addProducer(o.kind, { ...o, appData: { ...o.appData } }));
  }
  protected override closeChildren(): void {
    for (const child of [...this.children]) child.close();
  }
}

export class FakeRouter extends Closable {
  readonly id = nextId('router');
  readonly producers = new Map<string, FakeProducer>();
  readonly transports = new Set<FakePipeTransport>();
  async createPipeTransport() {
    if (this.closed) throw new Error('router closed');
    const t = new FakePipeTransport(this);
    this.transports.add(t);
    t.on('@close', () => this.transports.delete(t));
    return t;
  }
  addProducer(
    kind: types.MediaKind,
    options: { id?: string; paused?: boolean; appData?: Record<string, unknown> } = {},
  ) {
    const p = new FakeProducer(this, kind, options);
    this.producers.set(p.id, p);
    return p;
  }
  protected override closeChildren(): void {
    for (const t of [...this.transports]) t.close();
    for (const p of [...this.producers.values()]) p.close();
  }
}

export const asRouter = (r: FakeRouter) => r as unknown as types.Router;
export const asProducer = (p: FakeProducer) => p as unknown as types.Producer;
