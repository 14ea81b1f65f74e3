import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

export interface JobQueueOptions {
  name: string;
  redisUrl: string;
  /** BullMQ key prefix (the store's, so tests and deployments stay apart). */
  prefix: string;
  logger: Logger;
  attempts: number;
  backoffMs: number;
  /** How long finished jobs are kept for the IT board (seconds). */
  keepCompletedSeconds: number;
}

export interface JobWorkerOptions<T> {
  process: (job: Job<T>) => Promise<string>;
  concurrency: number;
  /** A worker died while running this job (BullMQ moved it back to wait). */
  stalled?: (jobId: string) => void;
}

/**
 * One BullMQ queue with its connections, and optionally its worker. The producer fails fast when
 * Redis is down (it answers HTTP requests); the worker's connection retries for ever as BullMQ
 * requires. Every part has an error listener; close() closes worker, queue, then connections.
 */
export class JobQueue<T = unknown> {
  readonly queue: Queue;
  private worker?: Worker<T>;
  private readonly connections: Redis[] = [];
  private readonly log: Logger;

  constructor(private readonly options: JobQueueOptions) {
    this.log = options.logger;
    const producer = new Redis(options.redisUrl, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
    });
    producer.on('error', (err) => this.log.warn({ err: err.message }, 'queue redis error'));
    this.connections.push(producer);
    this.queue = new Queue(options.name, {
      connection: producer,
      prefix: options.prefix,
      defaultJobOptions: {
        attempts: options.attempts,
        backoff: { type: 'exponential', delay: options.backoffMs },
        removeOnComplete: { age: options.keepCompletedSeconds },
        removeOnFail: { age: 60 * 24 * 3600, count: 5000 },
      },
    });
    this.queue.on('error', (err) => this.log.error({ err }, 'queue error'));
  }

  ready(): Promise<void> {
    return this.queue.waitUntilReady().then(() => undefined);
  }

  startWorker(options: JobWorkerOptions<T>): void {
    const connection = new Redis(this.options.redisUrl, { maxRetriesPerRequest: null });
    connection.on('error', (err) => this.log.warn({ err: err.message }, 'worker redis error'));
    this.connections.push(connection);
    const worker = new Worker<T>(this.options.name, options.process, {
      connection,
      prefix: this.options.prefix,
      concurrency: options.concurrency,
    });
    worker.on('error', (err) => this.log.error({ err }, 'worker error'));
    worker.on('failed', (job, err) => {
      const exhausted = job && job.attemptsMade >= (job.opts.attempts ?? 1);
      const log = this.log.child({ jobId: job?.id });
      if (exhausted || err instanceof UnrecoverableError) log.error({ err }, 'job failed for good');
      else log.warn({ err: err.message, attempt: job?.attemptsMade }, 'job failed, will retry');
    });
    worker.on('stalled', (jobId) => {
      this.log.warn({ jobId }, 'job stalled (a worker died while running it)');
      options.stalled?.(jobId);
    });
    this.worker = worker;
  }

  /** Worker, queue, connections; goes on past a failed step. */
  async close(): Promise<void> {
    for (const step of [() => this.worker?.close(), () => this.queue.close()]) {
      try {
        await step();
      } catch (err) {
        this.log.warn({ err }, `closing the ${this.options.name} queue failed`);
      }
    }
    for (const c of this.connections) await c.quit().catch(() => c.disconnect());
  }
}
