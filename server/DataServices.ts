import type { Redis } from 'ioredis';
import { AttendanceService } from './attendance/AttendanceService.js';
import { AccessService } from './auth/AccessService.js';
import type { AuthFailureLimits } from './auth/AuthFailures.js';
import type { Logger } from './logger.js';
import { MeetingAttachments } from './meetings/MeetingAttachments.js';
import { MeetingService } from './meetings/MeetingService.js';
import { SiteDirectory } from './meetings/SiteDirectory.js';
import { ReportService } from './reports/ReportService.js';
import { AttachmentStore } from './store/AttachmentStore.js';
import { AuditLog } from './store/AuditLog.js';
import { RedisStore } from './store/RedisStore.js';

export interface DataServicesOptions {
  redis: Redis;
  /** Full key prefix, e.g. "diemcau:". */
  prefix: string;
  logger: Logger;
  publicUrl: string;
  /** Uploaded documents go to <dataDir>/uploads/<meetingId>/. */
  dataDir: string;
  /** Clock, for tests. */
  now?: () => number;
  linkGraceMs?: number;
  sessionTtlSeconds?: number;
  /** Failed-authentication limits (tests make them small). */
  authFailureLimits?: Partial<AuthFailureLimits>;
}

/**
 * The department's data: sites, meetings, access. Needs only Redis and a folder, so tests and
 * scripts build it without media workers; the Service composes it with everything else.
 */
export class DataServices {
  private closing?: Promise<void>;

  private constructor(
    readonly store: RedisStore,
    readonly audit: AuditLog,
    readonly sites: SiteDirectory,
    readonly meetings: MeetingService,
    readonly access: AccessService,
    readonly reports: ReportService,
    readonly attendance: AttendanceService,
    readonly attachments: AttachmentStore,
    /** The documents list in each meeting record (the files are in `attachments`). */
    readonly meetingAttachments: MeetingAttachments,
    readonly publicUrl: string,
  ) {}

  static async create(options: DataServicesOptions): Promise<DataServices> {
    const store = await RedisStore.create({
      redis: options.redis,
      prefix: options.prefix,
      logger: options.logger,
    });
    const audit = new AuditLog(store);
    const sites = new SiteDirectory({ store, audit, logger: options.logger });
    const meetings = new MeetingService({
      store,
      audit,
      sites,
      logger: options.logger,
      ...(options.now ? { now: options.now } : {}),
    });
    const access = new AccessService({
      store,
      audit,
      meetings,
      logger: options.logger,
      publicUrl: options.publicUrl,
      ...(options.now ? { now: options.now } : {}),
      ...(options.linkGraceMs !== undefined ? { linkGraceMs: options.linkGraceMs } : {}),
      ...(options.authFailureLimits ? { authFailureLimits: options.authFailureLimits } : {}),
      ...(options.sessionTtlSeconds !== undefined
        ? { sessionTtlSeconds: options.sessionTtlSeconds }
        : {}),
    });
    const reports = new ReportService({
      store,
      audit,
      meetings,
      sites,
      logger: options.logger,
      ...(options.now ? { now: options.now } : {}),
    });
    const attendance = new AttendanceService({
      store,
      audit,
      meetings,
      sites,
      logger: options.logger,
      ...(options.now ? { now: options.now } : {}),
    });
    return new DataServices(
      store,
      audit,
      sites,
      meetings,
      access,
      reports,
      attendance,
      new AttachmentStore(options.dataDir),
      new MeetingAttachments({
        store,
        audit,
        meetings,
        logger: options.logger,
        ...(options.now ? { now: options.now } : {}),
      }),
      options.publicUrl,
    );
  }

  /** Memoized; the shared Redis client belongs to the caller. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.reports.close();
      this.attendance.close();
      this.meetings.removeAllListeners();
      this.access.removeAllListeners();
      this.sites.removeAllListeners();
      await this.store.close();
    })();
    return this.closing;
  }
}
