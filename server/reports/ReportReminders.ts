import { type Job, UnrecoverableError } from 'bullmq';
import type { Meeting } from '../../protocol/meetings.js';
import type { ReportRequest } from '../../protocol/reports.js';
import { formatDateTime } from '../../protocol/time.js';
import { JobQueue } from '../jobs/JobQueue.js';
import type { Logger } from '../logger.js';
import type { MeetingService } from '../meetings/MeetingService.js';
import type { SiteDirectory } from '../meetings/SiteDirectory.js';
import { type Notifier, NotifyError } from '../notify/Notifier.js';
import type { RedisStore } from '../store/RedisStore.js';
import type { ReportService } from './ReportService.js';
import { DAY_MS, planReminders, reportReminderJobSchema } from './reportJobs.js';

export interface ReportRemindersOptions {
  redisUrl: string;
  store: RedisStore;
  meetings: MeetingService;
  sites: SiteDirectory;
  reports: ReportService;
  notifier: Notifier;
  logger: Logger;
  /** Length of a "day" for reminder leads (tests shorten it). Default 24 h. */
  dayMs?: number;
  attempts?: number;
  backoffMs?: number;
  runWorker?: boolean;
  now?: () => number;
}

export const REPORT_QUEUE = 'reports';

/**
 * Deadline reminders on their own BullMQ queue: N days and 1 day before a request's deadline,
 * to every site that has not submitted, through the notifier's channels. Job ids and message
 * keys are deterministic, so each reminder goes at most once per channel however often the
 * plan is re-synced; a processor re-reads the request and skips a stale or answered reminder.
 */
export class ReportReminders {
  private readonly jobs: JobQueue;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly dayMs: number;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly pending = new Set<Promise<unknown>>();
  private closing?: Promise<void>;

  private constructor(private readonly options: ReportRemindersOptions) {
    this.log = options.logger.child({ component: 'report-reminders' });
    this.now = options.now ?? Date.now;
    this.dayMs = options.dayMs ?? DAY_MS;
    this.jobs = new JobQueue({
      name: REPORT_QUEUE,
      redisUrl: options.redisUrl,
      prefix: options.store.keys.bullPrefix,
      logger: this.log,
      attempts: options.attempts ?? 6,
      backoffMs: options.backoffMs ?? 5000,
      keepCompletedSeconds: 60 * 24 * 3600,
    });
  }

  static async create(options: ReportRemindersOptions): Promise<ReportReminders> {
    const r = new ReportReminders(options);
    try {
      await r.jobs.ready();
      if (options.runWorker !== false) r.startWorker();
      r.subscribe();
      await r.resyncAll().catch((err) => r.log.error({ err }, 'could not resync report reminders'));
      return r;
    } catch (err) {
      await r.close();
      throw err;
    }
  }

  get queue() {
    return this.jobs.queue;
  }

  private startWorker(): void {
    this.jobs.startWorker({ process: (job) => this.process(job), concurrency: 4 });
  }

  private subscribe(): void {
    const { reports, meetings } = this.options;
    const track = (p: Promise<unknown>) => {
      this.pending.add(p);
      void p
        .catch((err) => this.log.error({ err }, 'report reminder scheduling failed'))
        .finally(() => this.pending.delete(p));
    };
    const onChanged = (r: ReportRequest) => track(this.sync(r));
    const onDeleted = (e: { requestId: string }) => track(this.unschedule(e.requestId));
    const onTimes = (e: { meeting: Meeting }) => track(this.syncMeeting(e.meeting.id));
    const onCancelled = (m: Meeting) => track(this.syncMeeting(m.id));
    reports.on('requestChanged', onChanged);
    reports.on('requestDeleted', onDeleted);
    meetings.on('meetingTimesChanged', onTimes);
    meetings.on('meetingCancelled', onCancelled);
    this.unsubscribe.push(
      () => reports.off('requestChanged', onChanged),
      () => reports.off('requestDeleted', onDeleted),
      () => meetings.off('meetingTimesChanged', onTimes),
      () => meetings.off('meetingCancelled', onCancelled),
    );
  }

  /** Waits for scheduling started by events (tests; shutdown). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async syncMeeting(meetingId: string): Promise<void> {
    const meeting = await this.options.meetings.find(meetingId);
    for (const r of await this.options.reports.list(meetingId)) {
      if (meeting?.state === 'cancelled') await this.unschedule(r.id);
      else await this.sync(r);
    }
  }

  /** Brings the request's reminders in line with its deadline and sites. Idempotent. */
  async sync(request: ReportRequest): Promise<string[]> {
    const { store } = this.options;
    const setKey = store.keys.reportRequestJobs(request.id);
    const wanted = planReminders(request, this.now(), this.dayMs);
    const wantedIds = new Set(wanted.map((j) => j.id));
    for (const id of await store.read((r) => r.smembers(setKey))) {
      if (wantedIds.has(id)) continue;
      await this.removePending(id);
      await store.read((r) => r.srem(setKey, id));
    }
    if (wanted.length > 0) {
      await store.read((r) => r.sadd(setKey, ...wanted.map((j) => j.id)));
      await this.queue.addBulk(
        wanted.map((j) => ({
          name: j.data.kind,
          data: reportReminderJobSchema.parse(j.data),
          opts: { jobId: j.id, delay: Math.max(0, j.data.at - this.now()) },
        })),
      );
    }
    this.log.info({ requestId: request.id, jobs: wanted.length }, 'report reminders planned');
    return wanted.map((j) => j.id);
  }

  async unschedule(requestId: string): Promise<void> {
    const { store } = this.options;
    const setKey = store.keys.reportRequestJobs(requestId);
    for (const id of await store.read((r) => r.smembers(setKey))) await this.removePending(id);
    await store.read((r) => r.del(setKey));
  }

  /** A finished job stays (its id keeps it from running again); a waiting one is removed. */
  private async removePending(id: string): Promise<void> {
    const job = await this.queue.getJob(id);
    if (!job) return;
    const state = await job.getState();
    if (state === 'completed' || state === 'failed' || state === 'active') return;
    await job
      .remove()
      .catch((err) => this.log.warn({ jobId: id, err: (err as Error).message }, 'job not removed'));
  }

  async resyncAll(): Promise<void> {
    for (const m of await this.options.meetings.list({
      states: ['draft', 'scheduled', 'checking', 'live', 'ended'],
    }))
      await this.syncMeeting(m.id);
  }

  private async process(job: Job): Promise<string> {
    const parsed = reportReminderJobSchema.safeParse(job.data);
    if (!parsed.success)
      throw new UnrecoverableError(`malformed job data: ${parsed.error.message}`);
    const data = parsed.data;
    const log = this.log.child({ jobId: job.id, meetingId: data.meetingId });
    const { reports, meetings, sites, notifier } = this.options;
    const meeting = await meetings.find(data.meetingId);
    const request = meeting
      ? await reports.get(data.meetingId, data.requestId).catch(() => undefined)
      : undefined;
    if (
      !meeting ||
      meeting.state === 'cancelled' ||
      !request ||
      request.deadlineAt !== data.deadlineAt ||
      !request.siteIds.includes(data.siteId)
    ) {
      log.info('reminder no longer wanted, skipped');
      return 'stale';
    }
    const submission = await reports.findSubmission(request.id, data.siteId);
    if (submission?.submittedAt) return 'already submitted';
    const site = await sites.find(data.siteId);
    const name = site?.name ?? data.siteId;
    const when = formatDateTime(request.deadlineAt);
    try {
      const outcome = await notifier.send({
        key: job.id!,
        meetingId: meeting.id,
        siteId: data.siteId,
        kind: 'reminder',
        title: { vi: `Nhắc nộp báo cáo trước ${when}`, en: `Report due by ${when}` },
        body: {
          vi: [
            `Kính gửi ${name},`,
            `Còn ${data.leadDays} ngày nữa đến hạn nộp "${request.title}" (hạn ${when}) cho ${meeting.title}.`,
            submission
              ? 'Báo cáo đang ở dạng nháp: đề nghị hoàn thiện và bấm "Nộp báo cáo".'
              : 'Đề nghị mở trang điểm cầu bằng liên kết đã được cấp để soạn và nộp báo cáo.',
          ].join('\n'),
          en: `"${request.title}" is due in ${data.leadDays} day(s), at ${when}. Open your site page from your link to write and submit it.`,
        },
        ...(site?.technician?.email
          ? {
              email: {
                to: site.technician.email,
                ...(site.technician.name ? { name: site.technician.name } : {}),
              },
            }
          : {}),
        data: {
          requestId: request.id,
          deadlineAt: request.deadlineAt,
          leadDays: data.leadDays,
          siteName: name,
        },
      });
      return `sent:${outcome.sent.join(',') || '-'} skipped:${outcome.skipped.join(',') || '-'}`;
    } catch (err) {
      if (err instanceof NotifyError && err.permanent) throw new UnrecoverableError(err.message);
      throw err;
    }
  }

  /** Job ids planned for a request (tests, IT staff). */
  jobIds(requestId: string): Promise<string[]> {
    return this.options.store.read((r) =>
      r.smembers(this.options.store.keys.reportRequestJobs(requestId)),
    );
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const off of this.unsubscribe) off();
      await this.settled().catch(() => {});
      await this.jobs.close();
    })();
    return this.closing;
  }
}
