import { conflict } from '../../protocol/errors.js';
import type { Meeting, MeetingState } from '../../protocol/meetings.js';
import { meetingSchema, meetingStateLabels } from '../../protocol/meetings.js';
import type { Site } from '../../protocol/sites.js';
import { formatDateTime } from '../../protocol/time.js';
import type { RedisStore } from '../store/RedisStore.js';

/*
 * The rules that decide whether a meeting may take its sites and times: a site is in at most
 * one meeting at a time (regional meetings must not overlap, seed 001), a meeting is scheduled
 * only before its opening and with sites, and an action must suit the meeting's state.
 */

/** States whose sites count for the overlap rule; a cancelled meeting frees its sites. */
export const occupyingStates: readonly MeetingState[] = [
  'draft',
  'scheduled',
  'checking',
  'live',
  'ended',
];

export function siteIdsOf(m: Pick<Meeting, 'mainSite' | 'sites'>): string[] {
  return [m.mainSite.siteId, ...m.sites.map((s) => s.siteId)];
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

export function assertSchedulable(m: Meeting, now: number): void {
  if (Date.parse(m.opensAt) <= now) {
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
      { state: m.state },
    );
  }
}

/** 409 naming the other meeting when a site of `m` is busy in an overlapping meeting. */
export async function assertNoOverlap(
  store: RedisStore,
  m: Meeting,
  sites: Map<string, Site>,
): Promise<void> {
  const { keys } = store;
  const mine = siteIdsOf(m);
  const candidateIds = new Set<string>();
  // Sent together on the one connection, so this is one round trip like a pipeline.
  const members = await store.read((r) =>
    Promise.all(mine.map((s) => r.smembers(keys.siteMeetings(s)))),
  );
  for (const ids of members) for (const other of ids) if (other !== m.id) candidateIds.add(other);
  if (candidateIds.size === 0) return;
  const others = await store.mgetJson(
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
