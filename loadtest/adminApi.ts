import type { IssuedLink } from '../protocol/auth.js';
import type { CheckProgress } from '../protocol/check/queue.js';
import type { Meeting } from '../protocol/meetings.js';
import type { Site } from '../protocol/sites.js';

/** The few admin API calls the load test makes, as a logged-in IT account (session cookie). */
export class AdminApi {
  private constructor(
    readonly url: string,
    private readonly cookie: string,
  ) {}

  static async login(url: string, username: string, password: string): Promise<AdminApi> {
    const res = await fetch(new URL('/api/auth/login', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (!res.ok) throw new Error(`login: HTTP ${res.status} ${await res.text()}`);
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    return new AdminApi(url, cookie);
  }

  private async call<T>(method: string, path: string, body?: unknown, tries = 4): Promise<T> {
    const res = await fetch(new URL(path, this.url), {
      method,
      headers: {
        cookie: this.cookie,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    // The API limits requests per address: wait as long as it says, then try again.
    if (res.status === 429 && tries > 1) {
      const after = Number(JSON.parse(text)?.details?.retryAfterSeconds ?? 5);
      await new Promise((r) => setTimeout(r, Math.min(120, Math.max(1, after)) * 1000));
      return this.call(method, path, body, tries - 1);
    }
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  meeting(id: string): Promise<Meeting> {
    return this.call('GET', `/api/meetings/${encodeURIComponent(id)}`);
  }

  issueLink(
    meetingId: string,
    input: { role: 'chair' | 'station' } | { role: 'technician'; siteId: string },
  ): Promise<IssuedLink> {
    return this.call('POST', `/api/meetings/${encodeURIComponent(meetingId)}/links`, input);
  }

  /** Replaces the meeting's editable fields with `over` applied (PUT, at the version read). */
  updateMeeting(meeting: Meeting, over: Record<string, unknown>): Promise<Meeting> {
    const {
      id,
      state: _s,
      checkAtDefault: _d,
      attachments: _a,
      createdAt: _c,
      updatedAt: _u,
      ...fields
    } = meeting;
    return this.call('PUT', `/api/meetings/${encodeURIComponent(id)}`, { ...fields, ...over });
  }

  checkProgress(meetingId: string): Promise<CheckProgress> {
    return this.call('GET', `/api/meetings/${encodeURIComponent(meetingId)}/check-progress`);
  }

  /** Ends (live) or cancels (not yet live) a test meeting this tool created. */
  async closeTestMeeting(meetingId: string): Promise<void> {
    const meeting = await this.meeting(meetingId);
    const action = meeting.state === 'live' ? 'end' : 'cancel';
    if (['scheduled', 'checking', 'live', 'draft'].includes(meeting.state))
      await this.call('POST', `/api/meetings/${encodeURIComponent(meetingId)}/actions/${action}`);
  }

  async revokeLink(meetingId: string, linkId: string): Promise<void> {
    await this.call(
      'DELETE',
      `/api/meetings/${encodeURIComponent(meetingId)}/links/${encodeURIComponent(linkId)}`,
    );
  }

  /**
   * A throwaway meeting for load tests: a main point and `siteCount` sites named "Điểm thử i"
   * (created once, reused by later runs), opening in a week, scheduled (so endpoints may connect).
   */
  async createTestMeeting(siteCount: number): Promise<Meeting> {
    // Site names are unique: an earlier run's test sites are reused.
    const { sites: existing } = await this.call<{ sites: Site[] }>('GET', '/api/sites');
    const byName = new Map(existing.map((s) => [s.name, s]));
    const site = async (name: string, kind: string) =>
      byName.get(name) ?? this.call<Site>('POST', '/api/sites', { name, kind, attendingUnits: [] });
    const main = await site('Điểm cầu chính (kiểm thử tải)', 'main_hall');
    const sites: Site[] = [];
    // A few at a time: the API is what is being tested later, not here.
    for (let i = 0; i < siteCount; i += 20) {
      const batch = Array.from({ length: Math.min(20, siteCount - i) }, (_, j) =>
        site(`Điểm thử ${i + j + 1}`, 'school'),
      );
      sites.push(...(await Promise.all(batch)));
    }
    // A slot no earlier test meeting holds: the same sites cannot be in overlapping meetings.
    let created: Meeting | undefined;
    for (let slot = 0; !created; slot++) {
      const opens = Date.now() + 7 * 86_400_000 + slot * 3 * 3_600_000;
      try {
        created = await this.call<Meeting>('POST', '/api/meetings', {
          title: `Kiểm thử tải ${siteCount} điểm cầu / Load test, ${siteCount} sites`,
          organizer: 'Tổ công nghệ thông tin',
          opensAt: new Date(opens).toISOString(),
          closesAt: new Date(opens + 2 * 3_600_000).toISOString(),
          mainSite: { siteId: main.id },
          sites: sites.map((s) => ({ siteId: s.id })),
        });
      } catch (err) {
        if (slot > 100 || !/HTTP 409/.test((err as Error).message)) throw err;
      }
    }
    return this.call('POST', `/api/meetings/${created.id}/actions/schedule`);
  }
}
