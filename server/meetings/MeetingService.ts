import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Actor } from '../../protocol/auth.js';
import { badField, conflict, notFound } from '../../protocol/errors.js';
import {
  type Attachment,
  editableStates,
  type Meeting,
  type MeetingAction,
  type MeetingInputParsed,
  type MeetingState,
  meetingSchema,
  meetingStateLabels,
  meetingTransitions,
} from '../../protocol/meetings.js';
import type { Site } from '../../protocol/sites.js';
import { defaultCheckAt, formatDateTime } from '../../protocol/time.js';
import type { Logger } from '../logger.js';
import { type AuditLog, diffRecords } from '../store/AuditLog.js';
import type { RedisStore } from '../store/RedisStore.js';
import { storedLinkSchema } from '../store/records.js';
import { assertVersion } from '../store/versions.js';
import { assertSitesExist, type SiteDirectory } from './SiteDirectory.js';

export interface MeetingTimes {
  opensAt: string;
  closesAt: string;
  checkAt: string;
}

/** Domain events; the jobs (checks, reminders) and signaling layers subscribe to them. */
export interface MeetingServiceEvents {
  meetingCreated: [meeting: Meeting];
  meetingUpdated: [meeting: Meeting, previous: Meeting];
  /** draft → scheduled (not endCheck's checking → scheduled). */
  meetingScheduled: [meeting: Meeting];
  /** Opening, closing or check time changed; anything scheduled on them must move. */
  meetingTimesChanged: [event: { meeting: Meeting; previous: MeetingTimes }];
  meetingCancelled: [meeting: Meeting];
  meetingStateChanged: [
    event: {
      meetingId: string;
      from: MeetingState;
      to: MeetingState;
      action: MeetingAction;
      meeting: Meeting;
      actor: Actor;
    },
  ];
  meetingDeleted: [event: { meetingId: string; meeting: Meeting }];
}

export interface MeetingServiceOptions {
  store: RedisStore;
  audit: AuditLog;
  sites: SiteDirectory;
  logger: Logger;
  /** Clock, for tests. */
  now?: () => number;
}

const what = { vi: 'Hội nghị', en: 'The meeting' };

/** States whose sites count for the overlap rule; a cancelled meeting frees its sites. */
const occupyingStates: readonly MeetingState[] = [
  'draft',
  'scheduled',
  'checking',
  'live',
  'ended',
];

/** States in which a meeting may be deleted (a live or upcoming one must be cancelled first). */
const deletableStates: readonly MeetingState[] = ['draft', 'cancelled', 'ended'];

function siteIdsOf(m: Pick<Meeting, 'mainSite' | 'sites'>): string[] {
  return [m.mainSite.siteId, ...m.sites.map((s) => s.siteId)];
}

function timesOf(m: Meeting): MeetingTimes {
  return { opensAt: m.opensAt, closesAt: m.closesAt, checkAt: m.checkAt };
}

/**
 * Two meetings overlap when their [opening, closing) intervals intersect. The check is not
 * part of the interval: a Friday-08:00 check for a Monday meeting must not block the
 * site's other meetings in between; back-to-back meetings are allowed.
 */
export function meetingsOverlap(
  a: Pick<Meeting, 'opensAt' | 'closesAt'>,
  b: Pick<Meeting, 'opensAt' | 'closesAt'>,
): boolean {
  return (
    Date.parse(a.opensAt) < Date.parse(b.closesAt) && Date.parse(b.opensAt) < Date.parse(a.closesAt)
  );
}

/**
 * Meetings and their lifecycle. Every write is one optimistic Redis transaction that also
 * bumps meetings:rev, which every other meeting write watches: that makes "a site cannot be
 * in two overlapping meetings" hold even between concurrent writers.
 */
export class MeetingService extends EventEmitter<MeetingServiceEvents> {
  private readonly store: RedisStore;
  private readonly audit: AuditLog;
  private readonly sites: SiteDirectory;
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(options: MeetingServiceOptions) {
    super();
    this.store = options.store;
    this.audit = options.audit;
    this.sites = options.sites;
    this.logger = options.logger.child({ component: 'meetings' });
    this.now = options.now ?? Date.now;
  }

  async find(id: string): Promise<Meeting | undefined> {
    return this.store.getJson(this.store.keys.meeting(id), meetingSchema);
  }

  async get(id: string): Promise<Meeting> {
    const meeting = await this.find(id);
    if (!meeting) throw notFound({ vi: 'Không tìm thấy hội nghị', en: `Meeting not found: ${id}` });
    return meeting;
  }

  /** All meetings by opening time, optionally only those in the given states. */
  async list(filter: { states?: readonly MeetingState[] } = {}): Promise<Meeting[]> {
    const ids = await this.store.read((r) => r.zrange(this.store.keys.meetings, 0, -1));
    const meetings = (
      await this.store.mgetJson(
        ids.map((id) => this.store.keys.meeting(id)),
        meetingSchema,
      )
    ).filter((m): m is Meeting => m !== undefined);
    return filter.states ? meetings.filter((m) => filter.states!.includes(m.state)) : meetings;
  }

  async create(input: MeetingInputParsed, actor: Actor): Promise<Meeting> {
    const { keys } = this.store;
    const id = randomUUID();
    const siteIds = siteIdsOf(input);
    const meeting = await this.store.transact(
      [keys.meetingsRev, ...siteIds.map((s) => keys.site(s))],
      async () => {
        const sites = await this.sites.getMany(siteIds);
        assertSitesExist(sites, siteRefs(input));
        const now = new Date(this.now()).toISOString();
        const { checkAt, ...rest } = input;
        const record: Meeting = {
          id,
          version: 1,
          state: 'draft',
          ...rest,
          checkAt: checkAt ?? defaultCheckAt(input.opensAt),
          checkAtDefault: checkAt === undefined,
          attachments: [],
          createdAt: now,
          updatedAt: now,
        };
        await this.assertNoOverlap(record, sites);
        return {
          write: (m) => {
            m.set(keys.meeting(id), JSON.stringify(record));
            m.zadd(keys.meetings, Date.parse(record.opensAt), id);
            for (const s of siteIds) m.sadd(keys.siteMeetings(s), id);
            m.incr(keys.meetingsRev);
            this.audit.append(m, {
              actor,
              action: 'meeting.create',
              target: `meeting:${id}`,
              meetingId: id,
              changes: diffRecords(undefined, { title: record.title, opensAt: record.opensAt }),
            });
          },
          result: record,
        };
      },
    );
    this.logger.info({ meetingId: id, actor }, 'meeting created');
    this.notify('meetingCreated', meeting);
    return meeting;
  }

  /** Replaces the meeting's content (not its state or attachments). */
  async update(
    id: string,
    input: MeetingInputParsed,
    expected: number,
    actor: Actor,
  ): Promise<Meeting> {
    const { keys } = this.store;
    const first = await this.get(id);
    const siteIds = [...new Set([...siteIdsOf(input), ...siteIdsOf(first)])];
    const { before, after } = await this.store.transact(
      [keys.meetingsRev, keys.meeting(id), ...siteIds.map((s) => keys.site(s))],
      async () => {
        const before = await this.get(id);
        assertVersion(what, before.version, expected);
        assertVersion(what, before.version, first.version);
        if (!editableStates.includes(before.state)) throw stateConflict(before, 'update');
        const sites = await this.sites.getMany(siteIdsOf(input));
        assertSitesExist(sites, siteRefs(input));
        const { checkAt, ...rest } = input;
        // A client that sends back the default check time unchanged keeps it a default.
        const followDefault =
          checkAt === undefined || (before.checkAtDefault && checkAt === before.checkAt);
        // Built afresh, not spread over `before`: a field left out of the PUT is cleared.
        const after: Meeting = {
          id,
          version: before.version + 1,
          state: before.state,
          ...rest,
          checkAt: followDefault ? defaultCheckAt(input.opensAt) : checkAt,
          checkAtDefault: followDefault,
          attachments: before.attachments,
          createdAt: before.createdAt,
          updatedAt: new Date(this.now()).toISOString(),
        };
        if (!(Date.parse(after.checkAt) < Date.parse(after.opensAt))) {
          throw badField('body.checkAt', {
            vi: 'Giờ kiểm tra kỹ thuật phải trước giờ khai mạc',
            en: 'The technical check must be before the opening time',
          });
        }
        await this.assertNoOverlap(after, sites);
        const removed = siteIdsOf(before).filter((s) => !siteIdsOf(after).includes(s));
        return {
          write: (m) => {
            m.set(keys.meeting(id), JSON.stringify(after));
            m.zadd(keys.meetings, Date.parse(after.opensAt), id);
            for (const s of removed) m.srem(keys.siteMeetings(s), id);
            for (const s of siteIdsOf(after)) m.sadd(keys.siteMeetings(s), id);
            m.incr(keys.meetingsRev);
            this.audit.append(m, {
              actor,
              action: 'meeting.update',
              target: `meeting:${id}`,
              meetingId: id,
              changes: diffRecords(before, after),
            });
          },
          result: { before, after },
        };
      },
    );
    this.logger.info({ meetingId: id, version: after.version }, 'meeting updated');
    this.notify('meetingUpdated', after, before);
    const prev = timesOf(before);
    const next = timesOf(after);
    if (
      prev.opensAt !== next.opensAt ||
      prev.closesAt !== next.closesAt ||
      prev.checkAt !== next.checkAt
    ) {
      this.notify('meetingTimesChanged', { meeting: after, previous: prev });
    }
    return after;
  }

  /** Answers 404/409 as transition would, without writing: for owners that act before writing. */
  async assertAllowed(id: string, action: MeetingAction, expected?: number): Promise<Meeting> {
    const meeting = await this.get(id);
    assertVersion(what, meeting.version, expected);
    if (!(meetingTransitions[action].from as readonly MeetingState[]).includes(meeting.state))
      throw stateConflict(meeting, action);
    return meeting;
  }

  /** The only way to change state; an action not allowed from the current state answers 409. */
  async transition(
    id: string,
    action: MeetingAction,
    actor: Actor,
    expected?: number,
  ): Promise<Meeting> {
    const { keys } = this.store;
    const rule = meetingTransitions[action];
    const first = await this.get(id);
    const siteIds = siteIdsOf(first);
    const { before, after } = await this.store.transact(
      [keys.meetingsRev, keys.meeting(id)],
      async () => {
        const before = await this.get(id);
        assertVersion(what, before.version, expected);
        if (!(rule.from as readonly MeetingState[]).includes(before.state))
          throw stateConflict(before, action);
        if (action === 'schedule') this.assertSchedulable(before);
        if (action === 'reopen') {
          // Its sites were freed when it was cancelled; someone may have taken them since.
          await this.assertNoOverlap(before, await this.sites.getMany(siteIds));
        }
        const after: Meeting = {
          ...before,
          state: rule.to,
          version: before.version + 1,
          updatedAt: new Date(this.now()).toISOString(),
        };
        return {
          write: (m) => {
            m.set(keys.meeting(id), JSON.stringify(after));
            m.incr(keys.meetingsRev);
            this.audit.append(m, {
              actor,
              action: `meeting.${action}`,
              target: `meeting:${id}`,
              meetingId: id,
              changes: { state: [before.state, after.state] },
            });
          },
          result: { before, after },
        };
      },
    );
    this.logger.info(
      { meetingId: id, action, from: before.state, to: after.state, actor },
      'meeting state changed',
    );
    this.notify('meetingStateChanged', {
      meetingId: id,
      from: before.state,
      to: after.state,
      action,
      meeting: after,
      actor,
    });
    if (action === 'schedule') this.notify('meetingScheduled', after);
    if (action === 'cancel') this.notify('meetingCancelled', after);
    return after;
  }

  /**
   * Deletes the meeting with its links and its own audit stream (the global trail keeps the
   * record of the deletion). Returns the deleted meeting so the caller can remove its files.
   */
  async delete(id: string, expected: number | undefined, actor: Actor): Promise<Meeting> {
    const { keys } = this.store;
    const deleted = await this.store.transact(
      [keys.meetingsRev, keys.meeting(id), keys.meetingLinks(id)],
      async () => {
        const before = await this.get(id);
        assertVersion(what, before.version, expected);
        if (!deletableStates.includes(before.state)) throw stateConflict(before, 'delete');
        const linkIds = await this.store.read((r) => r.smembers(keys.meetingLinks(id)));
        const links = await this.store.mgetJson(
          linkIds.map((l) => keys.link(l)),
          storedLinkSchema,
        );
        return {
          write: (m) => {
            m.del(
              keys.meeting(id),
              keys.meetingLinks(id),
              keys.meetingAudit(id),
              keys.meetingLive(id),
            );
            m.zrem(keys.meetings, id);
            for (const s of siteIdsOf(before)) m.srem(keys.siteMeetings(s), id);
            for (const l of linkIds) m.del(keys.link(l));
            for (const l of links) if (l) m.del(keys.linkHash(l.tokenHash));
            m.incr(keys.meetingsRev);
            // No meetingId: that would re-create the per-meeting stream just deleted.
            this.audit.append(m, {
              actor,
              action: 'meeting.delete',
              target: `meeting:${id}`,
              changes: { title: [before.title, null], state: [before.state, null] },
            });
          },
          result: before,
        };
      },
    );
    this.logger.info({ meetingId: id, actor }, 'meeting deleted');
    this.notify('meetingDeleted', { meetingId: id, meeting: deleted });
    return deleted;
  }

  async addAttachment(id: string, attachment: Attachment, actor: Actor): Promise<Meeting> {
    return this.changeAttachments(id, actor, 'attachment.add', attachment.id, (list) => {
      if (list.length >= 50)
        throw conflict({
          vi: 'Tối đa 50 tài liệu mỗi hội nghị',
          en: 'At most 50 documents per meeting',
        });
      return [...list, attachment];
    });
  }

  /** Returns the removed attachment so the caller can delete its file. */
  async removeAttachment(id: string, attachmentId: string, actor: Actor): Promise<Attachment> {
    let removed: Attachment | undefined;
    await this.changeAttachments(id, actor, 'attachment.remove', attachmentId, (list) => {
      removed = list.find((a) => a.id === attachmentId);
      if (!removed)
        throw notFound({
          vi: 'Không tìm thấy tài liệu',
          en: `Attachment not found: ${attachmentId}`,
        });
      return list.filter((a) => a.id !== attachmentId);
    });
    return removed!;
  }

  private async changeAttachments(
    id: string,
    actor: Actor,
    action: string,
    attachmentId: string,
    change: (list: Attachment[]) => Attachment[],
  ): Promise<Meeting> {
    const { keys } = this.store;
    const after = await this.store.transact([keys.meeting(id)], async () => {
      const before = await this.get(id);
      const after: Meeting = {
        ...before,
        attachments: change(before.attachments),
        version: before.version + 1,
        updatedAt: new Date(this.now()).toISOString(),
      };
      return {
        write: (m) => {
          m.set(keys.meeting(id), JSON.stringify(after));
          this.audit.append(m, {
            actor,
            action,
            target: `attachment:${attachmentId}`,
            meetingId: id,
          });
        },
        result: after,
      };
    });
    this.logger.info({ meetingId: id, action, attachmentId }, 'attachments changed');
    return after;
  }

  private assertSchedulable(m: Meeting): void {
    if (Date.parse(m.opensAt) <= this.now()) {
      throw conflict(
        {
          vi: `Giờ khai mạc (${formatDateTime(m.opensAt)}) đã qua, không thể lên lịch`,
          en: `The opening time (${formatDateTime(m.opensAt)}) has passed; cannot schedule`,
        },
        { state: m.state, opensAt: m.opensAt },
      );
    }
    if (m.sites.length === 0) {
      throw conflict(
        { vi: 'Hội nghị chưa có điểm cầu tham dự', en: 'The meeting has no participating sites' },
        {
          state: m.state,
        },
      );
    }
  }

  /** 409 naming the other meeting when a site of `m` is busy in an overlapping meeting. */
  private async assertNoOverlap(m: Meeting, sites: Map<string, Site>): Promise<void> {
    const { keys } = this.store;
    const mine = siteIdsOf(m);
    const candidateIds = new Set<string>();
    const members = await this.store.read((r) => {
      const p = r.pipeline();
      for (const s of mine) p.smembers(keys.siteMeetings(s));
      return p.exec();
    });
    for (const [err, ids] of members ?? []) {
      if (err) throw err;
      for (const other of ids as string[]) if (other !== m.id) candidateIds.add(other);
    }
    if (candidateIds.size === 0) return;
    const others = await this.store.mgetJson(
      [...candidateIds].map((o) => keys.meeting(o)),
      meetingSchema,
    );
    for (const other of others) {
      if (!other || !occupyingStates.includes(other.state) || !meetingsOverlap(m, other)) continue;
      const shared = siteIdsOf(other).filter((s) => mine.includes(s));
      if (shared.length === 0) continue;
      const names = shared.map((s) => sites.get(s)?.name ?? s);
      throw conflict(
        {
          vi: `Điểm cầu "${names.join('", "')}" đã tham gia hội nghị "${other.title}" (${formatDateTime(other.opensAt)} – ${formatDateTime(other.closesAt)}) trùng thời gian`,
          en: `Site "${names.join('", "')}" is already in meeting "${other.title}" at an overlapping time`,
        },
        {
          meetingId: other.id,
          meetingTitle: other.title,
          opensAt: other.opensAt,
          closesAt: other.closesAt,
          siteIds: shared,
        },
      );
    }
  }

  /** Listener failures are logged, never thrown into the request that caused the event. */
  private notify<K extends keyof MeetingServiceEvents>(
    name: K,
    ...args: MeetingServiceEvents[K]
  ): void {
    for (const listener of this.listeners(name)) {
      try {
        const result: unknown = (listener as (...a: unknown[]) => unknown)(...args);
        if (result instanceof Promise) {
          result.catch((err: unknown) =>
            this.logger.error({ err, event: name }, 'meeting event listener failed'),
          );
        }
      } catch (err) {
        this.logger.error({ err, event: name }, 'meeting event listener failed');
      }
    }
  }
}

function siteRefs(m: Pick<Meeting, 'mainSite' | 'sites'>): { path: string; siteId: string }[] {
  return [
    { path: 'mainSite.siteId', siteId: m.mainSite.siteId },
    ...m.sites.map((s, i) => ({ path: `sites.${i}.siteId`, siteId: s.siteId })),
  ];
}

/** 409 carrying the current state, so the client can show it and refresh. */
export function stateConflict(m: Meeting, action: string) {
  const label = meetingStateLabels[m.state];
  return conflict(
    {
      vi: `Không thể thực hiện "${action}" khi hội nghị ở trạng thái "${label.vi}"`,
      en: `Cannot ${action} a meeting that is ${label.en.toLowerCase()}`,
    },
    { state: m.state, action, version: m.version },
  );
}
