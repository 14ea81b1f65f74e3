import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Actor } from '../../protocol/auth.js';
import { AppError, badField, conflict, notFound } from '../../protocol/errors.js';
import type { Meeting } from '../../protocol/meetings.js';
import {
  deadlineAtMs,
  type ReportBoard,
  type ReportDocument,
  type ReportRequest,
  type ReportRequestInputParsed,
  type ReportStatus,
  type ReportSubmission,
  reportRequestSchema,
  reportStatuses,
  reportSubmissionSchema,
  type SiteReport,
} from '../../protocol/reports.js';
import { formatDateTime } from '../../protocol/time.js';
import type { Logger } from '../logger.js';
import type { MeetingService } from '../meetings/MeetingService.js';
import type { SiteDirectory } from '../meetings/SiteDirectory.js';
import { type AuditLog, diffRecords } from '../store/AuditLog.js';
import type { RedisStore } from '../store/RedisStore.js';
import { assertVersion } from '../store/versions.js';

/** Stored without the deadline instant: that follows the meeting's times when read. */
export const storedReportRequestSchema = reportRequestSchema.omit({ deadlineAt: true });
type StoredReportRequest = Omit<ReportRequest, 'deadlineAt'>;

export interface ReportServiceEvents {
  /** Created or edited: reminders are re-planned. */
  requestChanged: [request: ReportRequest];
  requestDeleted: [event: { meetingId: string; requestId: string }];
  /** A site saved, uploaded or submitted. */
  reportChanged: [event: { meetingId: string; request: ReportRequest; report: SiteReport }];
}

export interface ReportServiceOptions {
  store: RedisStore;
  audit: AuditLog;
  meetings: MeetingService;
  sites: SiteDirectory;
  logger: Logger;
  now?: () => number;
}

const whatRequest = { vi: 'Yêu cầu báo cáo', en: 'The report request' };
const whatReport = { vi: 'Báo cáo của điểm cầu', en: 'The site’s report' };
const sectionName = (s: { number?: string | undefined; title: string }) =>
  `${s.number ? `${s.number}. ` : ''}${s.title}`;

/** Status of one site's report against the deadline; late means received after it, never refused. */
export function statusOf(
  submission: ReportSubmission | undefined,
  deadlineAt: number,
): ReportStatus {
  if (!submission) return 'not-started';
  if (!submission.submittedAt) return 'draft';
  return Date.parse(submission.submittedAt) > deadlineAt ? 'late' : 'submitted';
}

/**
 * Report requests of a meeting and the sites' answers. A request names the sites that must
 * report, an outline and a deadline; each site keeps one record per request (draft until
 * submitted). Every write is an optimistic transaction with its audit entry.
 */
export class ReportService extends EventEmitter<ReportServiceEvents> {
  private readonly store: RedisStore;
  private readonly audit: AuditLog;
  private readonly meetings: MeetingService;
  private readonly sites: SiteDirectory;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly offMeetings: () => void;

  constructor(options: ReportServiceOptions) {
    super();
    this.store = options.store;
    this.audit = options.audit;
    this.meetings = options.meetings;
    this.sites = options.sites;
    this.log = options.logger.child({ component: 'reports' });
    this.now = options.now ?? Date.now;
    const onDeleted = (e: { meetingId: string }) =>
      void this.clearMeeting(e.meetingId).catch((err) =>
        this.log.error({ err, meetingId: e.meetingId }, 'could not remove the meeting’s reports'),
      );
    this.meetings.on('meetingDeleted', onDeleted);
    this.offMeetings = () => this.meetings.off('meetingDeleted', onDeleted);
  }

  private withDeadline(r: StoredReportRequest, meeting: Meeting): ReportRequest {
    return { ...r, deadlineAt: new Date(deadlineAtMs(r.deadline, meeting)).toISOString() };
  }

  // ---- requests (IT staff) ----

  async list(meetingId: string): Promise<ReportRequest[]> {
    const meeting = await this.meetings.get(meetingId);
    const { keys } = this.store;
    const ids = await this.store.read((r) => r.smembers(keys.meetingReportRequests(meetingId)));
    const stored = await this.store.mgetJson(
      ids.map((id) => keys.reportRequest(id)),
      storedReportRequestSchema,
    );
    return stored
      .filter((r): r is StoredReportRequest => r !== undefined)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .map((r) => this.withDeadline(r, meeting));
  }

  async get(meetingId: string, requestId: string): Promise<ReportRequest> {
    const meeting = await this.meetings.get(meetingId);
    return this.withDeadline(await this.getStored(meetingId, requestId), meeting);
  }

  private async getStored(meetingId: string, requestId: string): Promise<StoredReportRequest> {
    const r = await this.store.getJson(
      this.store.keys.reportRequest(requestId),
      storedReportRequestSchema,
    );
    if (!r || r.meetingId !== meetingId)
      throw notFound({
        vi: 'Không tìm thấy yêu cầu báo cáo',
        en: `Report request not found: ${requestId}`,
      });
    return r;
  }

  private assertFitsMeeting(input: ReportRequestInputParsed, meeting: Meeting): void {
    if (meeting.state === 'cancelled')
      throw conflict(
        { vi: 'Hội nghị đã bị hủy', en: 'The meeting was cancelled' },
        { state: meeting.state },
      );
    const inMeeting = new Set(meeting.sites.map((s) => s.siteId));
    input.siteIds.forEach((id, i) => {
      if (!inMeeting.has(id))
        throw badField(`body.siteIds.${i}`, {
          vi: 'Điểm cầu không tham dự hội nghị này',
          en: 'The site does not take part in this meeting',
        });
    });
    const c = input.consolidator;
    if (c.kind === 'site' && !inMeeting.has(c.siteId))
      throw badField('body.consolidator.siteId', {
        vi: 'Điểm cầu tổng hợp phải tham dự hội nghị',
        en: 'The consolidating site must take part in the meeting',
      });
  }

  async create(
    meetingId: string,
    input: ReportRequestInputParsed,
    actor: Actor,
  ): Promise<ReportRequest> {
    const { keys } = this.store;
    const id = randomUUID();
    const created = await this.store.transact([keys.meeting(meetingId)], async () => {
      const meeting = await this.meetings.get(meetingId);
      this.assertFitsMeeting(input, meeting);
      const at = new Date(this.now()).toISOString();
      const stored: StoredReportRequest = {
        id,
        meetingId,
        version: 1,
        ...input,
        createdAt: at,
        updatedAt: at,
      };
      return {
        write: (m) => {
          m.set(keys.reportRequest(id), JSON.stringify(stored));
          m.sadd(keys.meetingReportRequests(meetingId), id);
          this.audit.append(m, {
            actor,
            action: 'report-request.create',
            target: `report-request:${id}`,
            meetingId,
            changes: diffRecords(undefined, stored),
          });
        },
        result: this.withDeadline(stored, meeting),
      };
    });
    this.log.info({ meetingId, requestId: id, sites: input.siteIds.length }, 'report requested');
    this.emit('requestChanged', created);
    return created;
  }

  async update(
    meetingId: string,
    requestId: string,
    input: ReportRequestInputParsed,
    expected: number | undefined,
    actor: Actor,
  ): Promise<ReportRequest> {
    const { keys } = this.store;
    const updated = await this.store.transact(
      [keys.meeting(meetingId), keys.reportRequest(requestId)],
      async () => {
        const meeting = await this.meetings.get(meetingId);
        const before = await this.getStored(meetingId, requestId);
        assertVersion(whatRequest, before.version, expected);
        this.assertFitsMeeting(input, meeting);
        const after: StoredReportRequest = {
          ...before,
          ...input,
          version: before.version + 1,
          updatedAt: new Date(this.now()).toISOString(),
        };
        return {
          write: (m) => {
            m.set(keys.reportRequest(requestId), JSON.stringify(after));
            // A site taken off the request takes its report with it.
            for (const siteId of before.siteIds)
              if (!after.siteIds.includes(siteId)) m.del(keys.siteReport(requestId, siteId));
            this.audit.append(m, {
              actor,
              action: 'report-request.update',
              target: `report-request:${requestId}`,
              meetingId,
              changes: diffRecords(before, after),
            });
          },
          result: this.withDeadline(after, meeting),
        };
      },
    );
    this.emit('requestChanged', updated);
    return updated;
  }

  async delete(
    meetingId: string,
    requestId: string,
    expected: number | undefined,
    actor: Actor,
  ): Promise<void> {
    const { keys } = this.store;
    await this.store.transact([keys.reportRequest(requestId)], async () => {
      const before = await this.getStored(meetingId, requestId);
      assertVersion(whatRequest, before.version, expected);
      return {
        write: (m) => {
          m.del(keys.reportRequest(requestId));
          m.srem(keys.meetingReportRequests(meetingId), requestId);
          for (const siteId of before.siteIds) m.del(keys.siteReport(requestId, siteId));
          this.audit.append(m, {
            actor,
            action: 'report-request.delete',
            target: `report-request:${requestId}`,
            meetingId,
            changes: { title: [before.title, null] },
          });
        },
        result: undefined,
      };
    });
    this.emit('requestDeleted', { meetingId, requestId });
  }

  /** Removes every request and report of a deleted meeting. */
  private async clearMeeting(meetingId: string): Promise<void> {
    const { keys } = this.store;
    const ids = await this.store.read((r) => r.smembers(keys.meetingReportRequests(meetingId)));
    for (const requestId of ids) {
      const r = await this.store.getJson(keys.reportRequest(requestId), storedReportRequestSchema);
      await this.store.read((redis) =>
        redis.del(
          keys.reportRequest(requestId),
          ...(r?.siteIds ?? []).map((s) => keys.siteReport(requestId, s)),
        ),
      );
      this.emit('requestDeleted', { meetingId, requestId });
    }
    await this.store.read((r) => r.del(keys.meetingReportRequests(meetingId)));
  }

  // ---- one site's report ----

  async findSubmission(requestId: string, siteId: string): Promise<ReportSubmission | undefined> {
    return this.store.getJson(
      this.store.keys.siteReport(requestId, siteId),
      reportSubmissionSchema,
    );
  }

  private siteReportOf(
    request: ReportRequest,
    siteId: string,
    siteName: string,
    submission: ReportSubmission | undefined,
  ): SiteReport {
    const deadline = Date.parse(request.deadlineAt);
    return {
      siteId,
      siteName,
      status: statusOf(submission, deadline),
      overdue: !submission?.submittedAt && this.now() > deadline,
      ...(submission ? { savedAt: submission.savedAt, submission } : {}),
      ...(submission?.submittedAt ? { submittedAt: submission.submittedAt } : {}),
    };
  }

  async siteReport(meetingId: string, requestId: string, siteId: string): Promise<SiteReport> {
    const request = await this.get(meetingId, requestId);
    this.assertSiteReports(request, siteId);
    const site = await this.sites.find(siteId);
    return this.siteReportOf(
      request,
      siteId,
      site?.name ?? siteId,
      await this.findSubmission(requestId, siteId),
    );
  }

  /** What one site must answer in this meeting, each request with the site's own report. */
  async forSite(
    meetingId: string,
    siteId: string,
  ): Promise<{ request: ReportRequest; report: SiteReport }[]> {
    const site = await this.sites.find(siteId);
    const requests = (await this.list(meetingId)).filter((r) => r.siteIds.includes(siteId));
    const out = [];
    for (const request of requests) {
      const submission = await this.findSubmission(request.id, siteId);
      out.push({
        request,
        report: this.siteReportOf(request, siteId, site?.name ?? siteId, submission),
      });
    }
    return out;
  }

  private assertSiteReports(request: ReportRequest, siteId: string): void {
    if (!request.siteIds.includes(siteId))
      throw notFound({
        vi: 'Điểm cầu không thuộc diện báo cáo của yêu cầu này',
        en: `This site is not asked for this report: ${siteId}`,
      });
  }

  private assertOpen(before: ReportSubmission | undefined): void {
    if (before?.submittedAt)
      throw conflict(
        {
          vi: `Báo cáo đã được nhận lúc ${formatDateTime(before.submittedAt)}`,
          en: `The report was already received at ${formatDateTime(before.submittedAt)}`,
        },
        { submittedAt: before.submittedAt },
      );
  }

  /** Draft save, upload and submit share one path: read, check, write with the audit entry. */
  private async writeReport(
    meetingId: string,
    requestId: string,
    siteId: string,
    expected: number | undefined,
    actor: Actor,
    action: 'report.save' | 'report.upload' | 'report.submit',
    change: (before: ReportSubmission | undefined, request: ReportRequest) => ReportSubmission,
  ): Promise<SiteReport> {
    const { keys } = this.store;
    const key = keys.siteReport(requestId, siteId);
    const { request, after } = await this.store.transact(
      [key, keys.reportRequest(requestId)],
      async () => {
        const request = await this.get(meetingId, requestId);
        this.assertSiteReports(request, siteId);
        const before = await this.findSubmission(requestId, siteId);
        if (before) assertVersion(whatReport, before.version, expected);
        this.assertOpen(before);
        const after = change(before, request);
        return {
          write: (m) => {
            m.set(key, JSON.stringify(after));
            this.audit.append(m, {
              actor,
              action,
              target: `report:${requestId}:${siteId}`,
              meetingId,
              changes: diffRecords(before, after, ['version', 'savedAt', 'sections']),
            });
          },
          result: { request, after },
        };
      },
    );
    const site = await this.sites.find(siteId);
    const report = this.siteReportOf(request, siteId, site?.name ?? siteId, after);
    this.emit('reportChanged', { meetingId, request, report });
    return report;
  }

  private cleanSections(request: ReportRequest, sections: Record<string, string | undefined>) {
    const known = new Set(request.sections.map((s) => s.id));
    const out: Record<string, string> = {};
    for (const [id, value] of Object.entries(sections)) {
      if (!known.has(id))
        throw badField(`body.sections.${id}`, {
          vi: 'Mục không có trong đề cương',
          en: 'Not in the outline',
        });
      if (value) out[id] = value;
    }
    return out;
  }

  saveDraft(
    meetingId: string,
    requestId: string,
    siteId: string,
    input: { sections: Record<string, string | undefined>; version?: number | undefined },
    actor: Actor,
  ): Promise<SiteReport> {
    return this.writeReport(
      meetingId,
      requestId,
      siteId,
      input.version,
      actor,
      'report.save',
      (before, request) => ({
        requestId,
        siteId,
        version: (before?.version ?? 0) + 1,
        sections: this.cleanSections(request, input.sections),
        ...(before?.document ? { document: before.document } : {}),
        savedAt: new Date(this.now()).toISOString(),
      }),
    );
  }

  /**
   * Submits (with the answers sent, else the saved draft). Every required section must be
   * filled unless a document carries the report. After the deadline it is accepted, marked late.
   */
  submit(
    meetingId: string,
    requestId: string,
    siteId: string,
    input: { sections?: Record<string, string | undefined>; version?: number | undefined },
    actor: Actor,
  ): Promise<SiteReport> {
    return this.writeReport(
      meetingId,
      requestId,
      siteId,
      input.version,
      actor,
      'report.submit',
      (before, request) => {
        const sections =
          input.sections && Object.keys(input.sections).length > 0
            ? this.cleanSections(request, input.sections)
            : (before?.sections ?? {});
        if (!before?.document) {
          const missing = request.sections.filter((s) => s.required && !sections[s.id]?.trim());
          if (missing.length > 0)
            throw new AppError(
              'bad_request',
              {
                vi: `Mục bắt buộc chưa có nội dung: ${missing.map(sectionName).join('; ')}`,
                en: `Required sections are empty: ${missing.map(sectionName).join('; ')}`,
              },
              { missing: missing.map((s) => s.id) },
              missing.map((s) => ({
                path: `body.sections.${s.id}`,
                message: { vi: 'Mục bắt buộc chưa có nội dung', en: 'This section is required' },
              })),
            );
        }
        const at = new Date(this.now()).toISOString();
        return {
          requestId,
          siteId,
          version: (before?.version ?? 0) + 1,
          sections,
          ...(before?.document ? { document: before.document } : {}),
          savedAt: at,
          submittedAt: at,
          submittedBy: actor,
        };
      },
    );
  }

  /** Records an uploaded document (the route has stored the file); replaces an earlier one. */
  attachDocument(
    meetingId: string,
    requestId: string,
    siteId: string,
    document: ReportDocument,
    actor: Actor,
  ): Promise<SiteReport> {
    return this.writeReport(
      meetingId,
      requestId,
      siteId,
      undefined,
      actor,
      'report.upload',
      (before) => ({
        requestId,
        siteId,
        version: (before?.version ?? 0) + 1,
        sections: before?.sections ?? {},
        document,
        savedAt: new Date(this.now()).toISOString(),
      }),
    );
  }

  /** Checks that a site may still change its report (the upload route asks before writing a file). */
  async assertWritable(meetingId: string, requestId: string, siteId: string): Promise<void> {
    const request = await this.get(meetingId, requestId);
    this.assertSiteReports(request, siteId);
    this.assertOpen(await this.findSubmission(requestId, siteId));
  }

  // ---- board and consolidation ----

  async board(meetingId: string, requestId: string): Promise<ReportBoard> {
    const { request, rows } = await this.collect(meetingId, requestId);
    const counts = Object.fromEntries(reportStatuses.map((s) => [s, 0])) as Record<
      ReportStatus,
      number
    >;
    for (const r of rows) counts[r.status]++;
    return {
      request,
      rows: rows.map(({ submission: _s, ...row }) => row),
      counts,
    };
  }

  /** The request with every site's report, in the request's site order. */
  async collect(
    meetingId: string,
    requestId: string,
  ): Promise<{ request: ReportRequest; meeting: Meeting; rows: SiteReport[] }> {
    const meeting = await this.meetings.get(meetingId);
    const request = this.withDeadline(await this.getStored(meetingId, requestId), meeting);
    const sites = await this.sites.getMany(request.siteIds);
    const submissions = await this.store.mgetJson(
      request.siteIds.map((s) => this.store.keys.siteReport(requestId, s)),
      reportSubmissionSchema,
    );
    const rows = request.siteIds.map((siteId, i) =>
      this.siteReportOf(request, siteId, sites.get(siteId)?.name ?? siteId, submissions[i]),
    );
    return { request, meeting, rows };
  }

  close(): void {
    this.offMeetings();
    this.removeAllListeners();
  }
}
