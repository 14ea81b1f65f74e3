import type { AdminApi } from './adminApi.js';

/** The join links one run needs: the main point, a chair and one technician link per site. */
export interface MeetingLinks {
  stationToken: string;
  chairToken: string;
  siteIds: string[];
  siteTokens: string[];
  /** Revokes every link issued here (best effort). */
  revoke(): Promise<void>;
}

/**
 * Issues the links of a load test or benchmark through the admin API; `revoke` takes them back.
 * Links already issued are revoked when a later one fails.
 */
export async function issueMeetingLinks(
  api: AdminApi,
  meeting: { id: string; sites: { siteId: string }[] },
  siteCount: number,
): Promise<MeetingLinks> {
  const issued: string[] = [];
  const revoke = async () => {
    await Promise.all(issued.map((id) => api.revokeLink(meeting.id, id).catch(() => {})));
  };
  const issue = async (input: Parameters<AdminApi['issueLink']>[1]) => {
    const link = await api.issueLink(meeting.id, input);
    issued.push(link.link.id);
    return link.token;
  };
  try {
    const stationToken = await issue({ role: 'station' });
    const chairToken = await issue({ role: 'chair' });
    const siteIds = meeting.sites.slice(0, siteCount).map((s) => s.siteId);
    const siteTokens: string[] = [];
    // A few at a time: the API is not what is measured.
    for (let i = 0; i < siteIds.length; i += 25) {
      const batch = siteIds.slice(i, i + 25).map((siteId) => issue({ role: 'technician', siteId }));
      siteTokens.push(...(await Promise.all(batch)));
    }
    return { stationToken, chairToken, siteIds, siteTokens, revoke };
  } catch (err) {
    await revoke();
    throw err;
  }
}

/**
 * Sites are schools and offices, each behind its own address: one address for all would meet
 * the server's per-address handshake limit (60 at once, then 1 a second). Sent as
 * X-Forwarded-For (the server must trust 127.0.0.1).
 */
export function siteAddress(i: number): string {
  return `10.30.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}
