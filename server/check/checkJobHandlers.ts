import { type Job, UnrecoverableError } from 'bullmq';
import type { Actor } from '../../protocol/auth.js';
import type { Meeting, MeetingState } from '../../protocol/meetings.js';
import type { SiteReadiness } from '../../protocol/readiness.js';
import { formatDateTime } from '../../protocol/time.js';
import type { Logger } from '../logger.js';
import type { MeetingService } from '../meetings/MeetingService.js';
import type { SiteDirectory } from '../meetings/SiteDirectory.js';
import { type NotificationMessage, type Notifier, NotifyError } from '../notify/Notifier.js';
import { type CheckJob, type CheckTiming, checkJobSchema, windowMsOf } from './checkJobs.js';
import type { CheckWindow, ReadinessService } from './ReadinessService.js';

/** What the live layer does when a window opens or closes; wired by the composition root. */
export interface CheckWindowHooks {
  /** Site pages switch to check mode and start their check. */
  windowOpened(meeting: Meeting, window: CheckWindow): void;
  windowClosed(meeting: Meeting, noShows: SiteReadiness[]): void;
  /** Every connected site runs a short check. */
  recheck(meeting: Meeting, window: CheckWindow, measureMs: number): void;
  /** The meeting no longer has checks (cancelled, unscheduled, deleted): a running window ends. */
  windowRemoved?(meetingId: string): void;
}

const system: Actor = { kind: 'system', name: 'lịch kiểm tra kỹ thuật' };
export const activeStates: readonly MeetingState[] = ['scheduled', 'checking'];

/** Whether the meeting, as it is now, still wants this job (its times and sites may have moved). */
export function stillWanted(meeting: Meeting, data: CheckJob): boolean {
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

/** A hook's error is logged, never thrown: the job's own work is already done. */
export function callHook(log: Logger, name: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    log.error({ err, hook: name }, 'check window hook failed');
  }
}

export interface CheckJobHandlerDeps {
  meetings: MeetingService;
  sites: SiteDirectory;
  readiness: ReadinessService;
  notifier: Notifier;
  timing: CheckTiming;
  log: Logger;
  /** Read at each call: the hooks are wired after the scheduler is created. */
  hooks: () => CheckWindowHooks | undefined;
}

/**
 * What each check job does when it runs: the reminder, the window's opening and closing (with
 * the no-show escalation) and the re-check. Each re-reads the meeting and skips a stale job.
 */
export class CheckJobHandlers {
  private readonly log: Logger;
  private readonly timing: CheckTiming;

  constructor(private readonly options: CheckJobHandlerDeps) {
    this.log = options.log;
    this.timing = options.timing;
  }

  private get hooks(): CheckWindowHooks | undefined {
    return this.options.hooks();
  }

  async process(job: Job): Promise<string> {
    const parsed = checkJobSchema.safeParse(job.data);
    if (!parsed.success)
      throw new UnrecoverableError(`malformed job data: ${parsed.error.message}`);
    const data = parsed.data;
    const log = this.log.child({ jobId: job.id, meetingId: data.meetingId });
    const meeting = await this.options.meetings.find(data.meetingId);
    if (!meeting || !stillWanted(meeting, data)) {
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
    callHook(this.log, 'windowOpened', () => this.hooks?.windowOpened(current, window));
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
    callHook(this.log, 'windowClosed', () => this.hooks?.windowClosed(now ?? meeting, noShows));
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
    callHook(this.log, 'recheck', () =>
      this.hooks?.recheck(meeting, window, this.timing.recheckMeasureMs),
    );
    return 'recheck requested';
  }
}
