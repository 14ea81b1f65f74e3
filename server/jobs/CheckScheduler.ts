import { type Job, UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import type { Actor } from '../../protocol/auth.js';
import { notFound } from '../../protocol/errors.js';
import type { Meeting, MeetingState } from '../../protocol/meetings.js';
import type { SiteReadiness } from '../../protocol/readiness.js';
import { formatDateTime } from '../../protocol/time.js';
import type { Logger } from '../logger.js';
import type { MeetingService } from '../meetings/MeetingService.js';
import type { SiteDirectory } from '../meetings/SiteDirectory.js';
import { type NotificationMessage, type Notifier, NotifyError } from '../notify/Notifier.js';
import type { CheckWindow, ReadinessService } from '../readiness/ReadinessService.js';
import type { RedisStore } from '../store/RedisStore.js';
import {
  type CheckJob,
  type CheckTiming,
  checkJobSchema,
  defaultCheckTiming,
  planJobs,
  windowMsOf,
} from './checkJobs.js';
import { JobQueue } from './JobQueue.js';

/** What the live layer does when a window opens or closes; wired by the composition root. */
export interface CheckWindowHooks {
  /** Site pages switch to check mode and start their check. */
  windowOpened(meeting: Meeting, window: CheckWindow): void;
  windowClosed(meeting: Meeting, noShows: SiteReadiness[]): void;
  /** Every connected site runs a short check. */
  recheck(meeting: Meeting, window: CheckWindow, measureMs: number): void;
}

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
const system: Actor = { kind: 'system', name: 'lịch kiểm tra kỹ thuật' };
const activeStates: readonly MeetingState[] = ['scheduled', 'checking'];

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
      process: (job) => this.process(job),
      concurrency: this.options.concurrency ?? 8,
      // Kept for the IT board's list of stalled jobs.
      stalled: (jobId) =>
        void store
          .read((r) =>
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
      if (await this.removeJob(id, meeting)) await store.read((r) => r.srem(setKey, id));
    }
    if (wanted.length > 0) {
      await store.read((r) => r.sadd(setKey, ...wanted.map((j) => j.id)));
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
    await store.read((r) => r.del(setKey));
    await this.options.readiness.closeWindow(meetingId);
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
    if (
      meeting &&
      data.success &&
      data.data.at <= this.now() &&
      this.stillWanted(meeting, data.data)
    )
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

  // ---- processing ----

  private async process(job: Job): Promise<string> {
    const parsed = checkJobSchema.safeParse(job.data);
    if (!parsed.success)
      throw new UnrecoverableError(`malformed job data: ${parsed.error.message}`);
    const data = parsed.data;
    const log = this.log.child({ jobId: job.id, meetingId: data.meetingId });
    const meeting = await this.options.meetings.find(data.meetingId);
    if (!meeting || !this.stillWanted(meeting, data)) {
      log.info({ kind: data.kind }, 'job no longer wanted by its meeting, skipped');
      return 'stale';
    }
    try {
      switch (data.kind) {
        case 'reminder':
          return await this.remind(meeting, data, job.id!);
        case 'window-open':
          return await this.openWindow(meeting, data);
        case 'window-close':
          return await this.closeWindow(meeting);
        case 'recheck':
          return await this.recheck(meeting);
      }
    } catch (err) {
      if (err instanceof NotifyError && err.permanent) throw new UnrecoverableError(err.message);
      throw err;
    }
  }

  private stillWanted(meeting: Meeting, data: CheckJob): boolean {
    if (!activeStates.includes(meeting.state)) return false;
    switch (data.kind) {
      case 'reminder':
        return (
          meeting.checkAt === data.checkAt && meeting.sites.some((s) => s.siteId === data.siteId)
        );
      case 'window-open':
      case 'window-close':
        return meeting.checkAt === data.checkAt;
      case 'recheck':
        return meeting.opensAt === data.opensAt;
    }
  }

  private async remind(
    meeting: Meeting,
    data: Extract<CheckJob, { kind: 'reminder' }>,
    jobId: string,
  ): Promise<string> {
    const site = await this.options.sites.find(data.siteId);
    if (!site) throw new UnrecoverableError(`site ${data.siteId} not found`);
    const when = formatDateTime(meeting.checkAt);
    const lead =
      data.leadMs >= 3600_000
        ? `${Math.round(data.leadMs / 3600_000)} giờ`
        : `${Math.round(data.leadMs / 60_000)} phút`;
    const leadEn =
      data.leadMs >= 3600_000
        ? `${Math.round(data.leadMs / 3600_000)} h`
        : `${Math.round(data.leadMs / 60_000)} min`;
    const message: NotificationMessage = {
      key: jobId,
      meetingId: meeting.id,
      siteId: site.id,
      kind: 'reminder',
      title: { vi: `Nhắc kiểm tra kỹ thuật lúc ${when}`, en: `Technical check reminder: ${when}` },
      body: {
        vi: [
          `Kính gửi cán bộ kỹ thuật ${site.name}${site.technician?.name ? ` (${site.technician.name})` : ''},`,
          `Còn ${lead} nữa đến giờ kiểm tra kỹ thuật cho "${meeting.title}" lúc ${when}.`,
          'Đề nghị có mặt, mở thiết bị (camera, micro, loa, màn hình/máy chiếu), chuẩn bị nguồn điện dự phòng và mở trang điểm cầu bằng liên kết đã được cấp.',
        ].join('\n'),
        en: `The technical check for "${meeting.title}" starts in ${leadEn}, at ${when}. Please be at the site with the equipment and backup power ready and open the site page from your link.`,
      },
      ...(site.technician?.email
        ? {
            email: {
              to: site.technician.email,
              ...(site.technician.name ? { name: site.technician.name } : {}),
            },
          }
        : {}),
      data: { checkAt: meeting.checkAt, siteName: site.name, leadMs: data.leadMs },
    };
    const outcome = await this.options.notifier.send(message);
    return `sent:${outcome.sent.join(',') || '-'} skipped:${outcome.skipped.join(',') || '-'}`;
  }

  private async openWindow(
    meeting: Meeting,
    data: Extract<CheckJob, { kind: 'window-open' }>,
  ): Promise<string> {
    let current = meeting;
    if (meeting.state === 'scheduled') {
      current = await this.options.meetings.transition(meeting.id, 'startCheck', system);
    }
    const closesAt = Date.parse(meeting.checkAt) + windowMsOf(meeting, this.timing);
    const window = await this.options.readiness.openWindow(
      meeting.id,
      'window',
      Math.max(closesAt, data.closesAt),
    );
    this.callHook('windowOpened', () => this.hooks?.windowOpened(current, window));
    return 'opened';
  }

  private async closeWindow(meeting: Meeting): Promise<string> {
    const { readiness, notifier } = this.options;
    await readiness.closeWindow(meeting.id);
    await readiness.markNoShows(meeting);
    // Escalate every no-show, not only the ones just marked: a retry after a crash between
    // the marking and the sending must still send (the keys keep it to once per site).
    const noShows = (await readiness.list(meeting.id)).filter((r) => r.state === 'no-show');
    const sites = await this.options.sites.getMany(noShows.map((r) => r.siteId));
    const failures: NotifyError[] = [];
    for (const r of noShows) {
      const site = sites.get(r.siteId);
      const name = site?.name ?? r.siteId;
      const phone = site?.technician?.phone ? ` – ĐT ${site.technician.phone}` : '';
      try {
        await notifier.send({
          key: `noshow-${meeting.id}-${r.siteId}-${Date.parse(meeting.checkAt)}`,
          meetingId: meeting.id,
          siteId: r.siteId,
          kind: 'no-show',
          title: {
            vi: `Vắng mặt khi kiểm tra kỹ thuật: ${name}`,
            en: `No-show at the technical check: ${name}`,
          },
          body: {
            vi: `${name}${phone}: ${r.note?.vi ?? ''}\nHội nghị: ${meeting.title} (${formatDateTime(meeting.opensAt)})`,
            en: `${name}${phone ? ` – tel. ${site?.technician?.phone}` : ''}: ${r.note?.en ?? ''}\nMeeting: ${meeting.title} (${formatDateTime(meeting.opensAt)})`,
          },
          data: { siteName: name, technician: site?.technician ?? null },
        });
      } catch (err) {
        if (err instanceof NotifyError) failures.push(err);
        else throw err;
      }
    }
    const now = await this.options.meetings.find(meeting.id);
    if (now?.state === 'checking') {
      await this.options.meetings.transition(meeting.id, 'endCheck', system).catch((err) => {
        this.log.warn({ meetingId: meeting.id, err: (err as Error).message }, 'endCheck refused');
      });
    }
    this.callHook('windowClosed', () => this.hooks?.windowClosed(now ?? meeting, noShows));
    if (failures.length > 0) {
      throw new NotifyError(
        failures.flatMap((f) => f.failures),
        failures.every((f) => f.permanent),
      );
    }
    return `closed, no-show: ${noShows.length}`;
  }

  private async recheck(meeting: Meeting): Promise<string> {
    const window = await this.options.readiness.openWindow(
      meeting.id,
      'recheck',
      Date.parse(meeting.opensAt),
    );
    this.callHook('recheck', () =>
      this.hooks?.recheck(meeting, window, this.timing.recheckMeasureMs),
    );
    return 'recheck requested';
  }

  private callHook(name: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err, hook: name }, 'check window hook failed');
    }
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
