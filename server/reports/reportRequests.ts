import { randomUUID } from 'node:crypto';
import type { Actor } from '../../protocol/auth.js';
import { notFound } from '../../protocol/errors.js';
import type { Meeting } from '../../protocol/meetings.js';
import {
  deadlineAtMs,
  type ReportRequest,
  type ReportRequestInputParsed,
  reportRequestSchema,
} from '../../protocol/reports.js';
import type { Logger } from '../logger.js';
import type { MeetingService } from '../meetings/MeetingService.js';
import { type AuditLog, diffRecords } from '../store/AuditLog.js';
import type { RedisStore } from '../store/RedisStore.js';
import { assertVersion } from '../store/versions.js';
import { assertFitsMeeting } from './reportRules.js';

/** Stored without the deadline instant: that follows the meeting's times when read. */
export const storedReportRequestSchema = reportRequestSchema.omit({ deadlineAt: true });
export type StoredReportRequest = Omit<ReportRequest, 'deadlineAt'>;

export function withDeadline(r: StoredReportRequest, meeting: Meeting): ReportRequest {
  return { ...r, deadlineAt: new Date(deadlineAtMs(r.deadline, meeting)).toISOString() };
}

export interface ReportRequestsOptions {
  store: RedisStore;
  audit: AuditLog;
  meetings: MeetingService;
  log: Logger;
  now: () => number;
  /** The owner's events (ReportService emits them). */
  emit: {
    requestChanged(request: ReportRequest): void;
    requestDeleted(event: { meetingId: string; requestId: string }): void;
  };
}

const whatRequest = { vi: 'Yêu cầu báo cáo', en: 'The report request' };

/**
 * The report requests of a meeting (IT staff): the sites that must report, an outline and a
 * deadline. Every write is an optimistic transaction with its audit entry.
 */
export class ReportRequests {
  private readonly store: RedisStore;
  private readonly audit: AuditLog;
  private readonly meetings: MeetingService;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly emit: ReportRequestsOptions['emit'];

  constructor(options: ReportRequestsOptions) {
    this.store = options.store;
    this.audit = options.audit;
    this.meetings = options.meetings;
    this.log = options.log;
    this.now = options.now;
    this.emit = options.emit;
  }

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
      .map((r) => withDeadline(r, meeting));
  }

  async get(meetingId: string, requestId: string): Promise<ReportRequest> {
    const meeting = await this.meetings.get(meetingId);
    return withDeadline(await this.getStored(meetingId, requestId), meeting);
  }

  async getStored(meetingId: string, requestId: string): Promise<StoredReportRequest> {
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

  async create(
    meetingId: string,
    input: ReportRequestInputParsed,
    actor: Actor,
  ): Promise<ReportRequest> {
    const { keys } = this.store;
    const id = randomUUID();
    const created = await this.store.transact([keys.meeting(meetingId)], async () => {
      const meeting = await this.meetings.get(meetingId);
      assertFitsMeeting(input, meeting);
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
        result: withDeadline(stored, meeting),
      };
    });
    this.log.info({ meetingId, requestId: id, sites: input.siteIds.length }, 'report requested');
    this.emit.requestChanged(created);
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
        assertFitsMeeting(input, meeting);
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
          result: withDeadline(after, meeting),
        };
      },
    );
    this.emit.requestChanged(updated);
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
    this.emit.requestDeleted({ meetingId, requestId });
  }

  /** Removes every request and report of a deleted meeting. */
  async clearMeeting(meetingId: string): Promise<void> {
    const { keys } = this.store;
    const ids = await this.store.read((r) => r.smembers(keys.meetingReportRequests(meetingId)));
    for (const requestId of ids) {
      const r = await this.store.getJson(keys.reportRequest(requestId), storedReportRequestSchema);
      await this.store.write((redis) =>
        redis.del(
          keys.reportRequest(requestId),
          ...(r?.siteIds ?? []).map((s) => keys.siteReport(requestId, s)),
        ),
      );
      this.emit.requestDeleted({ meetingId, requestId });
    }
    await this.store.write((r) => r.del(keys.meetingReportRequests(meetingId)));
  }
}
