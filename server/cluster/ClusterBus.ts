import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import {
  type BusAnswer,
  type BusEvent,
  type BusEventName,
  type BusRequest,
  type BusRequestName,
  busEvents,
  busRequests,
} from '../../protocol/clusterBus.js';
import {
  AppError,
  type ErrorCode,
  errorBodySchema,
  errorCodes,
  toErrorBody,
} from '../../protocol/errors.js';
import { sameText } from '../../protocol/text.js';
import type { Logger } from '../logger.js';

/**
 * Messages between the nodes on one Redis (pub/sub), named and checked by one table
 * (protocol/clusterBus.ts): events every node hears (an IT action on one node that the owner of a
 * meeting's session must apply) and requests to one node with an answer (the owner ends a
 * meeting asked through another node; a cascade's pipe set-up). Pub/sub loses nothing that
 * matters here: a node that misses a message was not running, and its sessions were not either.
 * A request to a node that nobody listens for (its process is gone: Redis dropped its
 * subscription with its connection) fails at once instead of waiting for a timeout.
 */
const envelopeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('event'), from: z.string(), name: z.string(), payload: z.unknown() }),
  z.object({
    kind: z.literal('request'),
    from: z.string(),
    id: z.string(),
    name: z.string(),
    payload: z.unknown(),
  }),
  z.object({
    kind: z.literal('reply'),
    from: z.string(),
    id: z.string(),
    ok: z.boolean(),
    data: z.unknown().optional(),
    error: errorBodySchema
      .extend({ code: z.enum(Object.keys(errorCodes) as [ErrorCode, ...ErrorCode[]]) })
      .optional(),
  }),
]);
type Envelope = z.infer<typeof envelopeSchema>;

/** Where envelopes travel: Redis pub/sub here, memory in unit tests. */
export interface BusTransport {
  /** Sends to a channel; resolves with how many subscribers received it. */
  publish(channel: string, message: string): Promise<number>;
  subscribe(channels: string[], receive: (message: string) => void): Promise<void>;
  /** How many subscribers a channel has now. */
  subscribers(channel: string): Promise<number>;
  close(): void;
}

/** Redis pub/sub: a shared client publishes, a duplicate subscribes. */
export function redisTransport(redis: Redis, log: Logger): BusTransport {
  const subscriber = redis.duplicate({ maxRetriesPerRequest: null });
  subscriber.on('error', (err) => log.debug({ err: err.message }, 'bus subscriber error'));
  return {
    publish: (channel, message) => redis.publish(channel, message),
    async subscribe(channels, receive) {
      subscriber.on('messageBuffer', (_c: Buffer, m: Buffer) => receive(m.toString('utf8')));
      await subscriber.subscribe(...channels);
    },
    async subscribers(channel) {
      const reply = (await redis.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
      return Number(reply[1] ?? 0);
    },
    // No quit: it would wait for a Redis that may be gone.
    close: () => subscriber.disconnect(),
  };
}

export type EventHandler<N extends BusEventName> = (
  payload: BusEvent<N>,
  from: string,
) => void | Promise<void>;
export type RequestHandler<N extends BusRequestName> = (
  payload: BusRequest<N>,
  from: string,
) => Promise<BusAnswer<N>>;

export interface ClusterBusOptions {
  transport: BusTransport;
  prefix: string;
  nodeId: string;
  logger: Logger;
}

interface Pending {
  resolve(data: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

type AnyEventHandler = (payload: unknown, from: string) => void | Promise<void>;
type AnyRequestHandler = (payload: unknown, from: string) => Promise<unknown>;

export class ClusterBus {
  private readonly events = new Map<string, Set<AnyEventHandler>>();
  private readonly handlers = new Map<string, AnyRequestHandler>();
  private readonly pending = new Map<string, Pending>();
  private readonly log: Logger;
  private closed = false;

  private constructor(private readonly options: ClusterBusOptions) {
    this.log = options.logger.child({ component: 'cluster-bus', nodeId: options.nodeId });
  }

  static async start(options: ClusterBusOptions): Promise<ClusterBus> {
    const bus = new ClusterBus(options);
    await options.transport.subscribe([bus.allChannel, bus.nodeChannel(options.nodeId)], (m) =>
      bus.receive(m),
    );
    return bus;
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  private get allChannel(): string {
    return `${this.options.prefix}cluster:all`;
  }

  private nodeChannel(nodeId: string): string {
    return `${this.options.prefix}cluster:node:${nodeId}`;
  }

  /** Whether a process listens for this node now (false: its connection to Redis is gone). */
  async listening(nodeId: string): Promise<boolean> {
    return (await this.options.transport.subscribers(this.nodeChannel(nodeId))) > 0;
  }

  /** Runs `handler` for each event of this name published by another node. */
  on<N extends BusEventName>(name: N, handler: EventHandler<N>): () => void {
    const set = this.events.get(name) ?? new Set<AnyEventHandler>();
    this.events.set(name, set);
    const any = handler as unknown as AnyEventHandler;
    set.add(any);
    return () => set.delete(any);
  }

  /** Tells every other node. */
  async publish<N extends BusEventName>(name: N, payload: BusEvent<N>): Promise<void> {
    await this.send(this.allChannel, { kind: 'event', from: this.options.nodeId, name, payload });
  }

  /** Answers requests of this name from other nodes (one handler per name). */
  handle<N extends BusRequestName>(name: N, handler: RequestHandler<N>): void {
    this.handlers.set(name, handler as unknown as AnyRequestHandler);
  }

  /** Asks one node; rejects with its AppError, or 'unavailable' if it does not answer in time. */
  request<N extends BusRequestName>(
    nodeId: string,
    name: N,
    payload: BusRequest<N>,
    timeoutMs = 5000,
  ): Promise<BusAnswer<N>> {
    const id = randomUUID();
    return new Promise<BusAnswer<N>>((resolve, reject) => {
      const fail = (err: Error) => {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new AppError('unavailable', sameText(`node ${nodeId} did not answer ${name}`))),
        timeoutMs,
      );
      this.pending.set(id, {
        resolve: (data) => {
          const parsed = (busRequests[name].answer as z.ZodType).safeParse(data);
          if (parsed.success) resolve(parsed.data as BusAnswer<N>);
          else reject(new AppError('internal', sameText(`bad answer to ${name}`)));
        },
        reject,
        timer,
      });
      this.send(this.nodeChannel(nodeId), {
        kind: 'request',
        from: this.options.nodeId,
        id,
        name,
        payload,
      }).then((receivers) => {
        if (receivers === 0)
          fail(new AppError('unavailable', sameText(`node ${nodeId} does not listen`)));
      }, fail);
    });
  }

  private async send(channel: string, envelope: Envelope): Promise<number> {
    if (this.closed) throw new AppError('unavailable', sameText('cluster bus closed'));
    return this.options.transport.publish(channel, JSON.stringify(envelope));
  }

  private receive(raw: string): void {
    let envelope: Envelope;
    try {
      envelope = envelopeSchema.parse(JSON.parse(raw));
    } catch (err) {
      this.log.warn({ err }, 'bad cluster message ignored');
      return;
    }
    if (envelope.from === this.options.nodeId && envelope.kind === 'event') return;
    switch (envelope.kind) {
      case 'event': {
        const schema = (busEvents as Record<string, z.ZodType>)[envelope.name];
        const parsed = schema?.safeParse(envelope.payload);
        if (!parsed?.success) {
          this.log.warn({ event: envelope.name }, 'bad cluster event ignored');
          return;
        }
        for (const handler of this.events.get(envelope.name) ?? []) {
          Promise.resolve()
            .then(() => handler(parsed.data, envelope.from))
            .catch((err) => this.log.error({ err, event: envelope.name }, 'cluster event failed'));
        }
        return;
      }
      case 'request':
        void this.answer(envelope);
        return;
      case 'reply': {
        const pending = this.pending.get(envelope.id);
        if (!pending) return;
        this.pending.delete(envelope.id);
        clearTimeout(pending.timer);
        if (envelope.ok) pending.resolve(envelope.data);
        else {
          const e = envelope.error ?? { code: 'internal' as const, message: sameText('failed') };
          pending.reject(new AppError(e.code, e.message, e.details, e.fields));
        }
      }
    }
  }

  private async answer(req: Extract<Envelope, { kind: 'request' }>): Promise<void> {
    const handler = this.handlers.get(req.name);
    let reply: Envelope;
    try {
      const contract = (busRequests as Record<string, { payload: z.ZodType }>)[req.name];
      if (!handler || !contract)
        throw new AppError('not_found', sameText(`no handler for ${req.name}`));
      const data = await handler(contract.payload.parse(req.payload), req.from);
      reply = { kind: 'reply', from: this.options.nodeId, id: req.id, ok: true, data };
    } catch (err) {
      const { body } = toErrorBody(err);
      if (!(err instanceof AppError) && !(err instanceof z.ZodError))
        this.log.error({ err, request: req.name }, 'request failed');
      const code = (body.code in errorCodes ? body.code : 'internal') as ErrorCode;
      const error = { ...body, code };
      reply = { kind: 'reply', from: this.options.nodeId, id: req.id, ok: false, error };
    }
    await this.send(this.nodeChannel(req.from), reply).catch((err) =>
      this.log.warn({ err }, 'cluster reply not sent'),
    );
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new AppError('unavailable', sameText('cluster bus closed')));
    }
    this.pending.clear();
    this.options.transport.close();
  }
}
