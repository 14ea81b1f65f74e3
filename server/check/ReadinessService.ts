import { EventEmitter } from 'node:events';
import { z } from 'zod';
import { type CheckResult, reasonText } from '../../protocol/check/index.js';
import type { Meeting } from '../../protocol/meetings.js';
import {
  type Checklist,
  checklistItems,
  type MeetingReadiness,
  type ReadinessHistoryEntry,
  type ReadinessState,
  readinessHistoryEntrySchema,
  type SiteReadiness,
  siteReadinessSchema,
  verdictReadiness,
} from '../../protocol/readiness.js';
import { joinTexts, type Text } from '../../protocol/text.js';
import type { Logger } from '../logger.js';
import type { SiteDirectory } from '../meetings/SiteDirectory.js';
import type { RedisStore } from '../store/RedisStore.js';
import { type CheckWindow, type CheckWindowKind, CheckWindows } from './checkWindows.js';
import { readinessSummary } from './readinessBoard.js';

export {
  type CheckWindow,
  type CheckWindowKind,
  checkWindowSchema,
} from './checkWindows.js';

export interface ReadinessServiceEvents {
  /** One site's readiness changed (state, online flag, figures or checklist). */
  changed: [readiness: SiteReadiness];
}

export interface ReadinessServiceOptions {
  store: RedisStore;
  sites: SiteDirectory;
  logger: Logger;
  now?: () => number;
}

/**
 * Records written before notes were text in both languages held one joined string: it is left
 * out (the next check or transition writes a new note) rather than split.
 */
const dropLegacyNote = (v: unknown) =>
  v !== null && typeof v === 'object' && typeof (v as { note?: unknown }).note === 'string'
    ? { ...v, note: undefined }
    : v;
const storedReadinessSchema = z.preprocess(dropLegacyNote, siteReadinessSchema);
const storedHistorySchema = z.preprocess(dropLegacyNote, readinessHistoryEntrySchema);

const HISTORY_MAX = 2000;

/** States before any result: a connection may move them forward, window close makes them no-show. */
const unchecked: readonly ReadinessState[] = ['unknown', 'invited', 'online'];

/**
 * Readiness of each site of a meeting, with its history: unknown → invited → online → checking →
 * ready | degraded | failed | no-show. Every change is one optimistic transaction on the meeting's
 * readiness hash and emits `changed` once it is stored, for the IT board and the chair.
 */
export class ReadinessService extends EventEmitter<ReadinessServiceEvents> {
  private readonly store: RedisStore;
  private readonly sites: SiteDirectory;
  private readonly log: Logger;
  private readonly windows: CheckWindows;
  private readonly now: () => number;

  constructor(options: ReadinessServiceOptions) {
    super();
    this.store = options.store;
    this.sites = options.sites;
    this.log = options.logger.child({ component: 'readiness' });
    this.now = options.now ?? Date.now;
    this.windows = new CheckWindows(this.store, this.now);
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  async list(meetingId: string): Promise<SiteReadiness[]> {
    const raw = await this.store.read((r) =>
      r.hgetall(this.store.keys.meetingReadiness(meetingId)),
    );
    return Object.entries(raw).map(([siteId, json]) =>
      this.store.decode(
        `${this.store.keys.meetingReadiness(meetingId)}#${siteId}`,
        json,
        storedReadinessSchema,
      ),
    );
  }

  async find(meetingId: string, siteId: string): Promise<SiteReadiness | undefined> {
    const json = await this.store.read((r) =>
      r.hget(this.store.keys.meetingReadiness(meetingId), siteId),
    );
    return json === null
      ? undefined
      : this.store.decode(this.store.keys.meetingReadiness(meetingId), json, storedReadinessSchema);
  }

  /**
   * Reads one site's record, lets `change` return the new one (or undefined: nothing to do) and
   * stores it with a history entry when the state moved. Emits `changed` after the write.
   */
  async update(
    meetingId: string,
    siteId: string,
    change: (current: SiteReadiness) => SiteReadiness | undefined,
  ): Promise<SiteReadiness | undefined> {
    const { keys } = this.store;
    const hash = keys.meetingReadiness(meetingId);
    const result = await this.store.transact([hash], async () => {
      const now = this.iso();
      const current = (await this.find(meetingId, siteId)) ?? {
        meetingId,
        siteId,
        state: 'unknown' as const,
        since: now,
        online: false,
        updatedAt: now,
      };
      const proposed = change(current);
      if (!proposed) return { write: () => {}, result: undefined };
      const next: SiteReadiness = {
        ...proposed,
        since: proposed.state !== current.state ? now : current.since,
        updatedAt: now,
      };
      return {
        write: (m) => {
          m.hset(hash, siteId, JSON.stringify(next));
          if (next.state !== current.state) {
            const entry: ReadinessHistoryEntry = {
              siteId,
              from: current.state,
              to: next.state,
              at: now,
              ...(next.note ? { note: next.note } : {}),
            };
            m.xadd(
              keys.meetingReadinessHistory(meetingId),
              'MAXLEN',
              '~',
              String(HISTORY_MAX),
              '*',
              'entry',
              JSON.stringify(entry),
            );
          }
        },
        result: { next, moved: next.state !== current.state, from: current.state },
      };
    });
    if (!result) return undefined;
    if (result.moved) {
      this.log.info(
        { meetingId, siteId, from: result.from, to: result.next.state },
        'site readiness changed',
      );
    }
    this.emit('changed', result.next);
    return result.next;
  }

  /** Moves to `to` only from one of `from` (undefined when the site is elsewhere). */
  transition(
    meetingId: string,
    siteId: string,
    from: readonly ReadinessState[],
    to: ReadinessState,
    note?: Text,
  ): Promise<SiteReadiness | undefined> {
    return this.update(meetingId, siteId, (c) => {
      if (!from.includes(c.state)) return undefined;
      const { note: _old, ...rest } = c;
      return { ...rest, state: to, ...(note ? { note } : {}) };
    });
  }

  /** The meeting was scheduled: every participating site is invited (already-known sites stay). */
  async invite(meeting: Meeting): Promise<void> {
    for (const s of meeting.sites)
      await this.transition(meeting.id, s.siteId, ['unknown'], 'invited');
  }

  /** The site's page connected or left. Before a result, a connection moves it to online. */
  setOnline(
    meetingId: string,
    siteId: string,
    online: boolean,
  ): Promise<SiteReadiness | undefined> {
    return this.update(meetingId, siteId, (c) => {
      let state = c.state;
      if (online && (unchecked.includes(c.state) || c.state === 'no-show')) state = 'online';
      // A page that leaves mid-check will not send its result.
      if (!online && c.state === 'checking')
        state = c.lastCheck ? verdictReadiness[c.lastCheck.verdict] : 'online';
      if (c.online === online && state === c.state) return undefined;
      return { ...c, online, state };
    });
  }

  beginCheck(meetingId: string, siteId: string): Promise<SiteReadiness | undefined> {
    return this.update(meetingId, siteId, (c) => {
      const { note: _n, ...rest } = c;
      return { ...rest, state: 'checking', online: true };
    });
  }

  /** A check was abandoned: back to where a result would have moved it from. */
  abortCheck(meetingId: string, siteId: string): Promise<SiteReadiness | undefined> {
    return this.update(meetingId, siteId, (c) => {
      if (c.state !== 'checking') return undefined;
      return { ...c, state: c.lastCheck ? verdictReadiness[c.lastCheck.verdict] : 'online' };
    });
  }

  async recordCheck(
    meetingId: string,
    siteId: string,
    result: CheckResult,
  ): Promise<SiteReadiness> {
    const next = await this.update(meetingId, siteId, (c) => {
      const { note: _n, ...rest } = c;
      return {
        ...rest,
        state: this.stateFor(result, c.checklist),
        lastCheck: result,
        ...(result.verdict !== 'pass'
          ? {
              note: joinTexts(
                result.reasons.filter((r) => r.severity !== 'info').map(reasonText),
                '; ',
              ),
            }
          : {}),
      };
    });
    return next!;
  }

  async recordChecklist(
    meetingId: string,
    siteId: string,
    checklist: Checklist,
  ): Promise<SiteReadiness> {
    const next = await this.update(meetingId, siteId, (c) => ({
      ...c,
      checklist,
      state: c.lastCheck ? this.stateFor(c.lastCheck, checklist) : c.state,
    }));
    return next!;
  }

  /** A missing checklist item caps an otherwise passing site at degraded. */
  private stateFor(result: CheckResult, checklist: Checklist | undefined): ReadinessState {
    const state = verdictReadiness[result.verdict];
    if (state === 'ready' && checklist && checklistItems.some((k) => !checklist.items[k]))
      return 'degraded';
    return state;
  }

  /** Window closed: sites that never completed a check become no-show. Returns them. */
  async markNoShows(meeting: Meeting): Promise<SiteReadiness[]> {
    const out: SiteReadiness[] = [];
    for (const s of meeting.sites) {
      const r = await this.update(meeting.id, s.siteId, (c) => {
        if (!unchecked.includes(c.state)) return undefined;
        return {
          ...c,
          state: 'no-show',
          note: c.online
            ? {
                vi: 'Đã kết nối nhưng không hoàn thành kiểm tra',
                en: 'Online but no check completed',
              }
            : {
                vi: 'Không có mặt trong giờ kiểm tra kỹ thuật',
                en: 'Absent during the technical check',
              },
        };
      });
      if (r) out.push(r);
    }
    return out;
  }

  async history(meetingId: string): Promise<ReadinessHistoryEntry[]> {
    const rows = await this.store.read((r) =>
      r.xrange(this.store.keys.meetingReadinessHistory(meetingId), '-', '+'),
    );
    return rows.map(([, fields]) => storedHistorySchema.parse(JSON.parse(fields[1] ?? '{}')));
  }

  // ---- check windows ----

  openWindow(meetingId: string, kind: CheckWindowKind, closesAtMs: number): Promise<CheckWindow> {
    return this.windows.openWindow(meetingId, kind, closesAtMs);
  }

  closeWindow(meetingId: string): Promise<void> {
    return this.windows.closeWindow(meetingId);
  }

  window(meetingId: string): Promise<CheckWindow | undefined> {
    return this.windows.window(meetingId);
  }

  /** IT asked this site to check now; results are accepted for ttlMs. */
  requestSiteCheck(meetingId: string, siteId: string, ttlMs: number): Promise<void> {
    return this.windows.requestSiteCheck(meetingId, siteId, ttlMs);
  }

  /** The kind of check this site may run now, or a 409 explaining why it may not. */
  assertCheckAllowed(meetingId: string, siteId: string): Promise<CheckWindowKind> {
    return this.windows.assertCheckAllowed(meetingId, siteId);
  }

  // ---- the board ----

  async summary(meeting: Meeting): Promise<MeetingReadiness> {
    const records = new Map((await this.list(meeting.id)).map((r) => [r.siteId, r]));
    const sites = await this.sites.getMany(meeting.sites.map((s) => s.siteId));
    const names = new Map([...sites].map(([id, site]) => [id, site.name]));
    return readinessSummary(meeting, records, names, await this.window(meeting.id), this.iso());
  }

  /** The meeting was deleted: its readiness goes with it. */
  async clear(meetingId: string): Promise<void> {
    const { keys } = this.store;
    await this.store.write((r) =>
      r.del(
        keys.meetingReadiness(meetingId),
        keys.meetingReadinessHistory(meetingId),
        keys.meetingCheckWindow(meetingId),
      ),
    );
  }
}
