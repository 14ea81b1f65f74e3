import { z } from 'zod';
import {
  type AttendanceConfirmation,
  type AttendanceInput,
  type AttendanceRow,
  type AttendanceSummary,
  attendanceConfirmationSchema,
  attendanceInputSchema,
  type FloorEntry,
  type MeetingRecord,
  type Minute,
  minuteSchema,
} from '../../protocol/attendance.js';
import type { Actor } from '../../protocol/auth.js';
import { badField, notFound } from '../../protocol/errors.js';
import type { Meeting } from '../../protocol/meetings.js';
import type { Logger } from '../logger.js';
import type { MeetingService } from '../meetings/MeetingService.js';
import type { SiteDirectory } from '../meetings/SiteDirectory.js';
import type { AuditLog } from '../store/AuditLog.js';
import type { RedisStore } from '../store/RedisStore.js';

const LOG_MAX = 20_000;

/** One event of the live session as the record keeps it (epoch ms). */
export const sessionLogEntrySchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.enum(['joined', 'left']),
    endpointId: z.string(),
    role: z.string(),
    siteId: z.string().optional(),
    name: z.string(),
    at: z.number(),
    reason: z.string().optional(),
  }),
  z.object({ kind: z.literal('floor'), siteId: z.string().optional(), at: z.number() }),
  z.object({ kind: z.literal('status'), status: z.string(), at: z.number() }),
  z.object({ kind: z.literal('agenda'), agendaIndex: z.number(), at: z.number() }),
]);
export type SessionLogEntry = z.infer<typeof sessionLogEntrySchema>;

export interface AttendanceServiceOptions {
  store: RedisStore;
  audit: AuditLog;
  meetings: MeetingService;
  sites: SiteDirectory;
  logger: Logger;
  now?: () => number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Who came: each site's confirmation (roles and head count), the session's join/leave and
 * floor events as the live layer reports them, and the secretary's conclusions per agenda item.
 * Reports are derived from these when asked, so there is one source for every figure.
 */
export class AttendanceService {
  private readonly store: RedisStore;
  private readonly audit: AuditLog;
  private readonly meetings: MeetingService;
  private readonly sites: SiteDirectory;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly off: () => void;

  constructor(options: AttendanceServiceOptions) {
    this.store = options.store;
    this.audit = options.audit;
    this.meetings = options.meetings;
    this.sites = options.sites;
    this.log = options.logger.child({ component: 'attendance' });
    this.now = options.now ?? Date.now;
    const onDeleted = (e: { meetingId: string }) => {
      const { keys } = this.store;
      void this.store
        .read((r) =>
          r.del(
            keys.meetingAttendance(e.meetingId),
            keys.meetingSessionLog(e.meetingId),
            keys.meetingMinutes(e.meetingId),
          ),
        )
        .catch((err) => this.log.error({ err, meetingId: e.meetingId }, 'cleanup failed'));
    };
    this.meetings.on('meetingDeleted', onDeleted);
    this.off = () => this.meetings.off('meetingDeleted', onDeleted);
  }

  // ---- what the live layer reports ----

  async logEvent(meetingId: string, entry: SessionLogEntry): Promise<void> {
    const key = this.store.keys.meetingSessionLog(meetingId);
    await this.store.read((r) =>
      r
        .multi()
        .rpush(key, JSON.stringify(sessionLogEntrySchema.parse(entry)))
        .ltrim(key, -LOG_MAX, -1)
        .exec(),
    );
  }

  async sessionLog(meetingId: string): Promise<SessionLogEntry[]> {
    const key = this.store.keys.meetingSessionLog(meetingId);
    const rows = await this.store.read((r) => r.lrange(key, 0, -1));
    return rows.map((row) => this.store.decode(key, row, sessionLogEntrySchema));
  }

  // ---- the sites' confirmations ----

  async confirm(
    meetingId: string,
    siteId: string,
    raw: AttendanceInput,
    actor: Actor,
  ): Promise<AttendanceConfirmation> {
    const input = attendanceInputSchema.parse(raw);
    const meeting = await this.meetings.get(meetingId);
    if (!meeting.sites.some((s) => s.siteId === siteId) && meeting.mainSite.siteId !== siteId)
      throw notFound({
        vi: 'Điểm cầu không tham dự hội nghị',
        en: `The site is not in this meeting: ${siteId}`,
      });
    const sum = input.roles.reduce((n, r) => n + r.present, 0);
    if (sum > input.headCount)
      throw badField('body.headCount', {
        vi: `Tổng số người (${input.headCount}) nhỏ hơn tổng theo thành phần (${sum})`,
        en: 'The head count is below the sum of the roles',
      });
    const confirmation: AttendanceConfirmation = {
      siteId,
      roles: input.roles,
      headCount: input.headCount,
      ...(input.note ? { note: input.note } : {}),
      confirmedAt: iso(this.now()),
      confirmedBy: actor,
    };
    const { keys } = this.store;
    await this.store.read((r) => {
      const m = r
        .multi()
        .hset(keys.meetingAttendance(meetingId), siteId, JSON.stringify(confirmation));
      this.audit.append(m, {
        actor,
        action: 'attendance.confirm',
        target: `site:${siteId}`,
        meetingId,
        changes: { headCount: [null, input.headCount] },
      });
      return m.exec();
    });
    return confirmation;
  }

  private async confirmations(meetingId: string): Promise<Map<string, AttendanceConfirmation>> {
    const key = this.store.keys.meetingAttendance(meetingId);
    const all = await this.store.read((r) => r.hgetall(key));
    return new Map(
      Object.entries(all).map(([siteId, raw]) => [
        siteId,
        this.store.decode(key, raw, attendanceConfirmationSchema),
      ]),
    );
  }

  // ---- derived: totals, the report, the floor log ----

  async summary(meetingId: string): Promise<AttendanceSummary> {
    const meeting = await this.meetings.get(meetingId);
    const [log, confirmations, sites] = await Promise.all([
      this.sessionLog(meetingId),
      this.confirmations(meetingId),
      this.sites.getMany(meeting.sites.map((s) => s.siteId)),
    ]);
    const endedAt = log.findLast((e) => e.kind === 'status' && e.status === 'ended')?.at;
    const now = this.now();
    const rows: AttendanceRow[] = meeting.sites.map((p) => {
      const intervals: { joinedAt: number; leftAt?: number; reason?: string }[] = [];
      for (const e of log) {
        if (
          (e.kind !== 'joined' && e.kind !== 'left') ||
          e.siteId !== p.siteId ||
          e.role !== 'site'
        )
          continue;
        const open = intervals.at(-1);
        if (e.kind === 'joined') {
          if (open && open.leftAt === undefined) continue;
          intervals.push({ joinedAt: e.at });
        } else if (open && open.leftAt === undefined) {
          open.leftAt = e.at;
          if (e.reason) open.reason = e.reason;
        }
      }
      const end = (i: { leftAt?: number }) => i.leftAt ?? endedAt ?? now;
      const ms = intervals.reduce((n, i) => n + Math.max(0, end(i) - i.joinedAt), 0);
      const dropouts = intervals.filter(
        (i) => i.leftAt !== undefined && (endedAt === undefined || i.leftAt < endedAt),
      ).length;
      const confirmation = confirmations.get(p.siteId);
      return {
        siteId: p.siteId,
        siteName: sites.get(p.siteId)?.name ?? p.siteId,
        ...(p.expectedCount !== undefined ? { expected: p.expectedCount } : {}),
        composition: p.composition.map((c) => ({
          role: c.role,
          ...(c.count !== undefined ? { count: c.count } : {}),
        })),
        ...(confirmation ? { confirmation } : {}),
        intervals: intervals.map((i) => ({
          joinedAt: iso(i.joinedAt),
          ...(i.leftAt !== undefined ? { leftAt: iso(i.leftAt) } : {}),
          ...(i.reason ? { reason: i.reason } : {}),
        })),
        minutesConnected: Math.round(ms / 6000) / 10,
        dropouts,
        online: intervals.at(-1)?.leftAt === undefined && intervals.length > 0,
      };
    });
    return {
      meetingId,
      rows,
      totals: {
        sites: rows.length,
        confirmed: rows.filter((r) => r.confirmation).length,
        expected: rows.reduce((n, r) => n + (r.expected ?? 0), 0),
        present: rows.reduce((n, r) => n + (r.confirmation?.headCount ?? 0), 0),
        online: rows.filter((r) => r.online).length,
      },
    };
  }

  /** Who had the floor and when: each grant until the next floor change or the end. */
  async floorLog(meeting: Meeting): Promise<FloorEntry[]> {
    const log = await this.sessionLog(meeting.id);
    const names = await this.sites.getMany(meeting.sites.map((s) => s.siteId));
    const out: FloorEntry[] = [];
    for (const e of log) {
      const open = out.at(-1);
      const closing = e.kind === 'floor' || (e.kind === 'status' && e.status === 'ended');
      if (closing && open && open.to === undefined) open.to = iso(e.at);
      if (e.kind === 'floor' && e.siteId)
        out.push({
          siteId: e.siteId,
          siteName: names.get(e.siteId)?.name ?? e.siteId,
          from: iso(e.at),
        });
    }
    return out;
  }

  // ---- the secretary's conclusions ----

  async setMinute(
    meetingId: string,
    agendaIndex: number,
    conclusion: string,
    actor: Actor,
  ): Promise<Minute> {
    const meeting = await this.meetings.get(meetingId);
    if (agendaIndex >= meeting.agenda.length)
      throw badField('params.agendaIndex', {
        vi: `Chương trình chỉ có ${meeting.agenda.length} mục`,
        en: `The agenda has ${meeting.agenda.length} items`,
      });
    const minute: Minute = {
      agendaIndex,
      conclusion,
      updatedAt: iso(this.now()),
      updatedBy: actor,
    };
    const key = this.store.keys.meetingMinutes(meetingId);
    await this.store.read((r) => {
      const m = r.multi().hset(key, String(agendaIndex), JSON.stringify(minute));
      this.audit.append(m, {
        actor,
        action: 'minutes.update',
        target: `meeting:${meetingId}`,
        meetingId,
        changes: { agendaIndex: [null, agendaIndex] },
      });
      return m.exec();
    });
    return minute;
  }

  async meetingRecord(meeting: Meeting): Promise<MeetingRecord> {
    const key = this.store.keys.meetingMinutes(meeting.id);
    const all = await this.store.read((r) => r.hgetall(key));
    const minutes = Object.values(all)
      .map((raw) => this.store.decode(key, raw, minuteSchema))
      .sort((a, b) => a.agendaIndex - b.agendaIndex);
    return { minutes, floor: await this.floorLog(meeting) };
  }

  close(): void {
    this.off();
  }
}
