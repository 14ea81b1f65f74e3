import { z } from 'zod';
import { notFound } from '../../protocol/errors.js';
import type { Meeting } from '../../protocol/meetings.js';
import { JobQueue } from '../jobs/JobQueue.js';
import type { Logger } from '../logger.js';
import type { MeetingService } from '../meetings/MeetingService.js';
import type { SiteDirectory } from '../meetings/SiteDirectory.js';
import type { Notifier } from '../notify/Notifier.js';
import type { RedisStore } from '../store/RedisStore.js';
import {
  activeStates,
  CheckJobHandlers,
  type CheckWindowHooks,
  callHook,
  stillWanted,
} from './checkJobHandlers.js';
import {
  type CheckJob,
  type CheckTiming,
  checkJobSchema,
  defaultCheckTiming,
  planJobs,
} from './checkJobs.js';
import type { ReadinessService } from './ReadinessService.js';

export type { CheckWindowHooks } from './checkJobHandlers.js';

export interface CheckSchedulerOptions {
  /** redis:// URL; the scheduler opens its own connections (workers block on theirs). */
  redisUrl: string;
  store: RedisStore;
  meetings: MeetingService;
  sites: SiteDirectory;
  readiness: ReadinessService;
  notifier: Notifier;
  logger: Logger;
  timing?: Partial<CheckTiming>;
  /** Attempts per job and the first backoff delay (exponential). Default 6 and 5 s. */
  attempts?: number;
  backoffMs?: number;
  concurrency?: number;
  /** Run the worker in this process (default true); false for an API-only instance. */
  runWorker?: boolean;
  now?: () => number;
}

export const QUEUE_NAME = 'checks';

export const failedJobSchema = z.object({
  id: z.string(),
  name: z.string(),
  data: z.unknown(),
  failedReason: z.string(),
  attemptsMade: z.int(),
  timestamp: z.int(),
  finishedOn: z.int().optional(),
  stacktrace: z.array(z.string()),
});
export type FailedJob = z.infer<typeof failedJobSchema>;
export const stalledEventSchema = z.object({ jobId: z.string(), at: z.string() });

/**
 * Scheduled work of the technical check on BullMQ: reminders, the check window's opening and
 * closing, and the re-check before the opening. Job ids are deterministic, so scheduling the same
 * meeting twice adds nothing, and moving a meeting removes the old ids and adds the new ones.
 * Each processor re-reads the meeting and does nothing for a job the meeting no longer wants.
 */
export class CheckScheduler {
  private readonly jobs: JobQueue<CheckJob>;
  private readonly handlers: CheckJobHandlers;
  private readonly timing: CheckTiming;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly unsubscribe: (() => void)[] = [];
  private hooks?: CheckWindowHooks;
  private closing?: Promise<void>;
  private readonly pending = new Set<Promise<unknown>>();

  private constructor(private readonly options: CheckSchedulerOptions) {
    this.timing = { ...defaultCheckTiming, ...options.timing };
    this.log = options.logger.child({ component: 'check-jobs' });
    this.now = options.now ?? Date.now;
    this.jobs = new JobQueue({
      name: QUEUE_NAME,
      redisUrl: options.redisUrl,
      prefix: options.store.keys.bullPrefix,
      logger: this.log,
      attempts: options.attempts ?? 6,
      backoffMs: options.backoffMs ?? 5000,
      keepCompletedSeconds: 14 * 24 * 3600,
    });
    this.handlers = new CheckJobHandlers({
      meetings: options.meetings,
      sites: options.sites,
      readiness: options.readiness,
      notifier: options.notifier,
      timing: this.timing,
      log: this.log,
      hooks: () => this.hooks,
    });
  }

  static async create(options: CheckSchedulerOptions): Promise<CheckScheduler> {
    const scheduler = new CheckScheduler(options);
    try {
      await scheduler.jobs.ready();
      if (options.runWorker !== false) scheduler.startWorker();
      scheduler.subscribe();
      return scheduler;
    } catch (err) {
      await scheduler.close();
      throw err;
    }
  }

  setHooks(hooks: CheckWindowHooks): void {
    this.hooks = hooks;
  }

  get queue() {
    return this.jobs.queue;
  }

  private startWorker(): void {
    const { store } = this.options;
    this.jobs.startWorker({
      process: (job) => this.handlers.process(job),
      concurrency: this.options.concurrency ?? 8,
      // Kept for the IT board's list of stalled jobs.
      stalled: (jobId) =>
        void store
          .write((r) =>
            r
              .multi()
              .lpush(
                store.keys.stalledJobs,
                JSON.stringify({ jobId, at: new Date(this.now()).toISOString() }),
              )
              .ltrim(store.keys.stalledJobs, 0, 199)
              .exec(),
          )
          .catch(() => {}),
    });
  }

  /** Meeting events move the jobs. Listener errors are logged by MeetingService. */
  private subscribe(): void {
    const { meetings } = this.options;
    const track = <T>(p: Promise<T>) => {
      this.pending.add(p);
      void p.finally(() => this.pending.delete(p)).catch(() => {});
      return p;
    };
    const on = <
      E extends
        | 'meetingScheduled'
        | 'meetingTimesChanged'
        | 'meetingUpdated'
        | 'meetingCancelled'
        | 'meetingStateChanged'
        | 'meetingDeleted',
    >(
      event: E,
      fn: (...args: never[]) => Promise<unknown>,
    ) => {
      const listener = (...args: never[]) => track(fn(...args));
      meetings.on(event, listener as never);
      this.unsubscribe.push(() => meetings.off(event, listener as never));
    };
    on('meetingScheduled', async (meeting: Meeting) => {
      await this.options.readiness.invite(meeting);
      await this.sync(meeting);
    });
    on('meetingTimesChanged', async (e: { meeting: Meeting }) => {
      if (activeStates.includes(e.meeting.state)) await this.sync(e.meeting);
    });
    on('meetingUpdated', async (after: Meeting, before: Meeting) => {
      const ids = (m: Meeting) => m.sites.map((s) => s.siteId).join(',');
      if (activeStates.includes(after.state) && ids(after) !== ids(before)) {
        await this.options.readiness.invite(after);
        await this.sync(after);
      }
    });
    on('meetingCancelled', async (meeting: Meeting) => this.unschedule(meeting.id));
    on('meetingStateChanged', async (e: { action: string; meetingId: string }) => {
      if (e.action === 'unschedule') await this.unschedule(e.meetingId);
    });
    on('meetingDeleted', async (e: { meetingId: string }) => {
      await this.unschedule(e.meetingId);
      await this.options.readiness.clear(e.meetingId);
    });
  }

  /** Waits for event-driven scheduling already under way (tests; shutdown). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Brings the meeting's jobs in line with its current times and sites. Idempotent. */
  async sync(meeting: Meeting): Promise<string[]> {
    const { store } = this.options;
    const setKey = store.keys.meetingJobs(meeting.id);
    const wanted = planJobs(meeting, this.timing, this.now());
    const wantedIds = new Set(wanted.map((j) => j.id));
    const existing = await store.read((r) => r.smembers(setKey));
    for (const id of existing) {
      if (wantedIds.has(id)) continue;
      // An overdue job the meeting still wants (a window close missed while the app was down)
      // is not in the plan any more, because its time has passed: let it run.
      if (await this.removeJob(id, meeting)) await store.write((r) => r.srem(setKey, id));
    }
    if (wanted.length > 0) {
      await store.write((r) => r.sadd(setKey, ...wanted.map((j) => j.id)));
      await this.queue.addBulk(
        wanted.map((j) => ({
          name: j.data.kind,
          data: checkJobSchema.parse(j.data),
          opts: { jobId: j.id, delay: Math.max(0, j.data.at - this.now()) },
        })),
      );
    }
    this.log.info(
      {
        meetingId: meeting.id,
        jobs: wanted.length,
        removed: existing.filter((i) => !wantedIds.has(i)).length,
      },
      'check jobs scheduled',
    );
    return wanted.map((j) => j.id);
  }

  /** Removes every pending job of the meeting (cancel, unschedule, delete). */
  async unschedule(meetingId: string): Promise<void> {
    const { store } = this.options;
    const setKey = store.keys.meetingJobs(meetingId);
    const ids = await store.read((r) => r.smembers(setKey));
    for (const id of ids) await this.removeJob(id);
    await store.write((r) => r.del(setKey));
    await this.options.readiness.closeWindow(meetingId);
    callHook(this.log, 'windowRemoved', () => this.hooks?.windowRemoved?.(meetingId));
    this.log.info({ meetingId, removed: ids.length }, 'check jobs removed');
  }

  /** Removes a pending job; false when it is kept (finished, running, or due and still wanted). */
  private async removeJob(id: string, meeting?: Meeting): Promise<boolean> {
    const job = await this.queue.getJob(id);
    if (!job) return true;
    const state = await job.getState();
    // A finished job stays as the record that it ran (and keeps its id from running again).
    if (state === 'completed' || state === 'failed') return true;
    const data = checkJobSchema.safeParse(job.data);
    if (meeting && data.success && data.data.at <= this.now() && stillWanted(meeting, data.data))
      return false;
    try {
      await job.remove();
      return true;
    } catch (err) {
      // A running job cannot be removed; it re-reads the meeting and finds itself stale.
      this.log.warn({ jobId: id, err: (err as Error).message }, 'job not removed');
      return false;
    }
  }

  /** Repairs the schedule of every upcoming meeting (start-up; events missed while Redis was down). */
  async resyncAll(): Promise<void> {
    for (const m of await this.options.meetings.list({ states: activeStates })) await this.sync(m);
  }

  // ---- IT staff ----

  async failedJobs(
    limit = 100,
  ): Promise<{ failed: FailedJob[]; stalled: z.infer<typeof stalledEventSchema>[] }> {
    const jobs = await this.queue.getFailed(0, limit - 1);
    const failed = jobs.map((j) => ({
      id: j.id ?? '',
      name: j.name,
      data: j.data as unknown,
      failedReason: j.failedReason ?? '',
      attemptsMade: j.attemptsMade,
      timestamp: j.timestamp,
      ...(j.finishedOn ? { finishedOn: j.finishedOn } : {}),
      stacktrace: (j.stacktrace ?? []).slice(0, 3),
    }));
    const stalledRaw = await this.options.store.read((r) =>
      r.lrange(this.options.store.keys.stalledJobs, 0, 49),
    );
    const stalled = stalledRaw.map((s) => stalledEventSchema.parse(JSON.parse(s)));
    return { failed, stalled };
  }

  async retry(jobId: string): Promise<void> {
    const job = await this.queue.getJob(jobId);
    if (!job) throw notFound({ vi: 'Không tìm thấy công việc', en: `Job not found: ${jobId}` });
    await job.retry('failed');
  }

  async counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed');
  }

  /** Stops taking jobs (waits for running ones), then closes the connections. Memoized. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const off of this.unsubscribe) off();
      await this.settled().catch(() => {});
      await this.jobs.close();
    })();
    return this.closing;
  }
}
