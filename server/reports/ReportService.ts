import { EventEmitter } from 'node:events';
import type { Actor } from '../../protocol/auth.js';
import type { Meeting } from '../../protocol/meetings.js';
import {
  type ReportBoard,
  type ReportDocument,
  type ReportRequest,
  type ReportRequestInputParsed,
  type ReportSubmission,
  reportSubmissionSchema,
  type SiteReport,
} from '../../protocol/reports.js';
import type { Logger } from '../logger.js';
import type { MeetingService } from '../meetings/MeetingService.js';
import type { SiteDirectory } from '../meetings/SiteDirectory.js';
import type { StagedFile } from '../store/AttachmentStore.js';
import { type AuditLog, diffRecords } from '../store/AuditLog.js';
import type { RedisStore } from '../store/RedisStore.js';
import { assertVersion } from '../store/versions.js';
import { ReportRequests, withDeadline } from './reportRequests.js';
import {
  assertOpen,
  assertSiteReports,
  boardOf,
  draftOf,
  siteReportOf,
  submittedOf,
  withDocument,
} from './reportRules.js';

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

export { storedReportRequestSchema } from './reportRequests.js';

const whatReport = { vi: 'Báo cáo của điểm cầu', en: 'The site’s report' };
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
  private readonly requests: ReportRequests;
  private readonly offMeetings: () => void;
  /** Per report (`requestId:siteId`): the upload whose record and file are being written. */
  private readonly uploadTurns = new Map<string, Promise<void>>();

  constructor(options: ReportServiceOptions) {
    super();
    this.store = options.store;
    this.audit = options.audit;
    this.meetings = options.meetings;
    this.sites = options.sites;
    this.log = options.logger.child({ component: 'reports' });
    this.now = options.now ?? Date.now;
    this.requests = new ReportRequests({
      store: this.store,
      audit: this.audit,
      meetings: this.meetings,
      log: this.log,
      now: this.now,
      emit: {
        requestChanged: (request) => this.emit('requestChanged', request),
        requestDeleted: (event) => this.emit('requestDeleted', event),
      },
    });
    const onDeleted = (e: { meetingId: string }) =>
      void this.requests
        .clearMeeting(e.meetingId)
        .catch((err) =>
          this.log.error({ err, meetingId: e.meetingId }, 'could not remove the meeting’s reports'),
        );
    this.meetings.on('meetingDeleted', onDeleted);
    this.offMeetings = () => this.meetings.off('meetingDeleted', onDeleted);
  }

  // ---- requests (IT staff) ----

  list(meetingId: string): Promise<ReportRequest[]> {
    return this.requests.list(meetingId);
  }

  get(meetingId: string, requestId: string): Promise<ReportRequest> {
    return this.requests.get(meetingId, requestId);
  }

  create(meetingId: string, input: ReportRequestInputParsed, actor: Actor): Promise<ReportRequest> {
    return this.requests.create(meetingId, input, actor);
  }

  update(
    meetingId: string,
    requestId: string,
    input: ReportRequestInputParsed,
    expected: number | undefined,
    actor: Actor,
  ): Promise<ReportRequest> {
    return this.requests.update(meetingId, requestId, input, expected, actor);
  }

  delete(
    meetingId: string,
    requestId: string,
    expected: number | undefined,
    actor: Actor,
  ): Promise<void> {
    return this.requests.delete(meetingId, requestId, expected, actor);
  }

  // ---- one site's report ----

  async findSubmission(requestId: string, siteId: string): Promise<ReportSubmission | undefined> {
    return this.store.getJson(
      this.store.keys.siteReport(requestId, siteId),
      reportSubmissionSchema,
    );
  }

  async siteReport(meetingId: string, requestId: string, siteId: string): Promise<SiteReport> {
    const request = await this.get(meetingId, requestId);
    assertSiteReports(request, siteId);
    const site = await this.sites.find(siteId);
    return siteReportOf(
      request,
      siteId,
      site?.name ?? siteId,
      await this.findSubmission(requestId, siteId),
      this.now(),
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
        report: siteReportOf(request, siteId, site?.name ?? siteId, submission, this.now()),
      });
    }
    return out;
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
        assertSiteReports(request, siteId);
        const before = await this.findSubmission(requestId, siteId);
        if (before) assertVersion(whatReport, before.version, expected);
        assertOpen(before);
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
    const report = siteReportOf(request, siteId, site?.name ?? siteId, after, this.now());
    this.emit('reportChanged', { meetingId, request, report });
    return report;
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
      (before, request) =>
        draftOf(before, request, siteId, input.sections, new Date(this.now()).toISOString()),
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
      (before, request) =>
        submittedOf(
          before,
          request,
          siteId,
          input.sections,
          actor,
          new Date(this.now()).toISOString(),
        ),
    );
  }

  /**
   * Records an uploaded document, replacing an earlier one; `file` (the staged bytes) moves into
   * place only after the record was written, i.e. the report was still open. Refused: the bytes
   * are discarded and the stored file is untouched. Uploads to one report take turns here, so
   * the file in place is the one the record describes.
   */
  attachDocument(
    meetingId: string,
    requestId: string,
    siteId: string,
    document: ReportDocument,
    actor: Actor,
    file?: StagedFile,
  ): Promise<SiteReport> {
    const key = `${requestId}:${siteId}`;
    const turn = (this.uploadTurns.get(key) ?? Promise.resolve()).then(async () => {
      let report: SiteReport;
      try {
        report = await this.writeReport(
          meetingId,
          requestId,
          siteId,
          undefined,
          actor,
          'report.upload',
          (before) =>
            withDocument(before, requestId, siteId, document, new Date(this.now()).toISOString()),
        );
      } catch (err) {
        await file?.discard();
        throw err;
      }
      await file?.commit();
      return report;
    });
    const settled = turn.then(
      () => {},
      () => {},
    );
    this.uploadTurns.set(key, settled);
    void settled.then(() => {
      if (this.uploadTurns.get(key) === settled) this.uploadTurns.delete(key);
    });
    return turn;
  }

  /** Checks that a site may still change its report (the upload route asks before writing a file). */
  async assertWritable(meetingId: string, requestId: string, siteId: string): Promise<void> {
    const request = await this.get(meetingId, requestId);
    assertSiteReports(request, siteId);
    assertOpen(await this.findSubmission(requestId, siteId));
  }

  // ---- board and consolidation ----

  async board(meetingId: string, requestId: string): Promise<ReportBoard> {
    const { request, rows } = await this.collect(meetingId, requestId);
    return boardOf(request, rows);
  }

  /** The request with every site's report, in the request's site order. */
  async collect(
    meetingId: string,
    requestId: string,
  ): Promise<{ request: ReportRequest; meeting: Meeting; rows: SiteReport[] }> {
    const meeting = await this.meetings.get(meetingId);
    const request = withDeadline(await this.requests.getStored(meetingId, requestId), meeting);
    const sites = await this.sites.getMany(request.siteIds);
    const submissions = await this.store.mgetJson(
      request.siteIds.map((s) => this.store.keys.siteReport(requestId, s)),
      reportSubmissionSchema,
    );
    const rows = request.siteIds.map((siteId, i) =>
      siteReportOf(request, siteId, sites.get(siteId)?.name ?? siteId, submissions[i], this.now()),
    );
    return { request, meeting, rows };
  }

  close(): void {
    this.offMeetings();
    this.removeAllListeners();
  }
}
