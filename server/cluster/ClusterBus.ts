import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
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
 * Messages between the nodes on one Redis (pub/sub): events every node hears (an IT action on
 * one node that the owner of a meeting's session must apply) and requests to one node with an
 * answer (the owner ends a meeting asked through another node; a cascade's pipe set-up).
 * Pub/sub loses nothing that matters here: a node that misses a message was not running, and
 * its sessions were not either.
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

export type EventHandler = (payload: unknown, from: string) => void | Promise<void>;
export type RequestHandler = (payload: unknown, from: string) => Promise<unknown>;

export interface ClusterBusOptions {
  /** A client for publishing (shared); the bus duplicates it for its subscription. */
  redis: Redis;
  prefix: string;
  nodeId: string;
  logger: Logger;
}

interface Pending {
  resolve(data: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class ClusterBus {
  private readonly subscriber: Redis;
  private readonly events = new Map<string, Set<EventHandler>>();
  private readonly handlers = new Map<string, RequestHandler>();
  private readonly pending = new Map<string, Pending>();
  private readonly log: Logger;
  private closed = false;

  private constructor(private readonly options: ClusterBusOptions) {
    this.log = options.logger.child({ component: 'cluster-bus', nodeId: options.nodeId });
    this.subscriber = options.redis.duplicate({ maxRetriesPerRequest: null });
    this.subscriber.on('error', (err) =>
      this.log.debug({ err: err.message }, 'bus subscriber error'),
    );
  }

  static async start(options: ClusterBusOptions): Promise<ClusterBus> {
    const bus = new ClusterBus(options);
    bus.subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) =>
      bus.receive(message.toString('utf8')),
    );
    await bus.subscriber.subscribe(bus.allChannel, bus.nodeChannel(options.nodeId));
    return bus;
  }

  private get allChannel(): string {
    return `${this.options.prefix}cluster:all`;
  }

  private nodeChannel(nodeId: string): string {
    return `${this.options.prefix}cluster:node:${nodeId}`;
  }

  /** Runs `handler` for each event of this name published by another node. */
  on(name: string, handler: EventHandler): () => void {
    const set = this.events.get(name) ?? new Set<EventHandler>();
    this.events.set(name, set);
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Tells every other node. */
  async publish(name: string, payload: unknown): Promise<void> {
    await this.send(this.allChannel, { kind: 'event', from: this.options.nodeId, name, payload });
  }

  /** Answers requests of this name from other nodes (one handler per name). */
  handle(name: string, handler: RequestHandler): void {
    this.handlers.set(name, handler);
  }

  /** Asks one node; rejects with its AppError, or 'unavailable' if it does not answer in time. */
  request<T = unknown>(nodeId: string, name: string, payload: unknown, timeoutMs = 5000) {
    const id = randomUUID();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new AppError('unavailable', sameText(`node ${nodeId} did not answer ${name}`)));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (d: unknown) => void, reject, timer });
      this.send(this.nodeChannel(nodeId), {
        kind: 'request',
        from: this.options.nodeId,
        id,
        name,
        payload,
      }).catch((err: Error) => {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(err);
      });
    });
  }

  private async send(channel: string, envelope: Envelope): Promise<void> {
    if (this.closed) throw new AppError('unavailable', sameText('cluster bus closed'));
    await this.options.redis.publish(channel, JSON.stringify(envelope));
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
      case 'event':
        for (const handler of this.events.get(envelope.name) ?? []) {
          Promise.resolve()
            .then(() => handler(envelope.payload, envelope.from))
            .catch((err) => this.log.error({ err, event: envelope.name }, 'cluster event failed'));
        }
        return;
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
      if (!handler) throw new AppError('not_found', sameText(`no handler for ${req.name}`));
      const data = await handler(req.payload, req.from);
      reply = { kind: 'reply', from: this.options.nodeId, id: req.id, ok: true, data };
    } catch (err) {
      const { body } = toErrorBody(err);
      if (!(err instanceof AppError)) this.log.error({ err, request: req.name }, 'request failed');
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
    // No quit: it would wait for a Redis that may be gone.
    this.subscriber.disconnect();
  }
}
