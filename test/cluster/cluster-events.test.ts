import t from 'tap';
import type { Actor } from '../../protocol/auth.js';
import { meetingInputSchema } from '../../protocol/meetings.js';
import { siteInputSchema } from '../../protocol/sites.js';
import { waitFor } from '../helpers/browser.js';
import { connectToOwner, loginCookie, startServiceNode } from '../helpers/clusterNodes.js';
import { startTestRedis } from '../helpers/redis.js';

/*
 * Cross-node effects. Two nodes (Services in this process) on one real Redis; the meeting's live
 * session runs on one of them (the owner) and every action below is made through the other:
 * an edit that removes a site from the meeting, a single-site notification, a revoked link and
 * the end of the meeting over HTTP. Each reaches the sockets on the owner. The nodes' records
 * carry their media workers' CPU.
 */

const system: Actor = { kind: 'system', name: 'test' };
const ADMIN = { username: 'it.events', password: 'mat-khau-rat-dai-2026' };

t.test('IT actions on one node reach the session on the other', async (t) => {
  t.setTimeout(90_000);
  const redis = await startTestRedis(t);
  const a = await startServiceNode(t, 'node-a', { REDIS_URL: redis.url });
  const b = await startServiceNode(t, 'node-b', { REDIS_URL: redis.url });
  const nodes = { [a.url]: a, [b.url]: b };
  await a.data.access.accounts.createUser(ADMIN.username, ADMIN.password, system);
  const cookie = await loginCookie(a.url, ADMIN);

  const main = await a.data.sites.create(
    siteInputSchema.parse({ name: 'Hội trường Sở GD&ĐT', kind: 'main_hall' }),
    system,
  );
  const sites = [];
  for (const name of ['Phòng GD&ĐT Đà Bắc', 'Phòng GD&ĐT Mai Châu', 'Phòng GD&ĐT Lạc Sơn'])
    sites.push(
      await a.data.sites.create(siteInputSchema.parse({ name, kind: 'district_office' }), system),
    );
  const iso = (ms: number) => new Date(ms).toISOString();
  const t0 = Date.now();
  const input = (siteIds: string[]) =>
    meetingInputSchema.parse({
      title: 'Giao ban trực tuyến qua hai máy chủ',
      organizer: 'Sở GD&ĐT Hòa Bình',
      opensAt: iso(t0 + 86_400_000),
      closesAt: iso(t0 + 86_400_000 + 3600_000),
      checkAt: iso(t0 + 43_200_000),
      mainSite: { siteId: main.id },
      sites: siteIds.map((siteId) => ({ siteId, expectedCount: 10 })),
    });
  const created = await a.data.meetings.create(input(sites.map((s) => s.id)), system);
  const meeting = await a.data.meetings.transition(created.id, 'schedule', system);
  const links = await a.data.access.issueMissingLinks(meeting.id, system);
  const linkOf = (role: string, siteId?: string) =>
    links.find((l) => l.link.role === role && l.link.siteId === siteId)!;

  const where = (await (
    await fetch(`${b.url}/api/meetings/${meeting.id}/live`, { headers: { cookie } })
  ).json()) as { url: string; nodeId: string };
  const owner = nodes[where.url]!;
  const other = owner === a ? b : a;
  t.ok(owner, `the meeting is placed on ${where.nodeId}; actions go through the other node`);

  const chair = await connectToOwner(other.url, { auth: { token: linkOf('chair').token } });
  const siteSockets = await Promise.all(
    sites.map((s) =>
      connectToOwner(other.url, { auth: { token: linkOf('technician', s.id).token } }),
    ),
  );
  t.teardown(() => {
    for (const c of [chair, ...siteSockets]) c.socket.close();
  });
  t.ok(
    [chair, ...siteSockets].every((c) => c.url === owner.url),
    'chair and sites are on the owner',
  );
  const seen = siteSockets.map(() => [] as { name: string; payload: unknown }[]);
  siteSockets.forEach((c, i) => {
    c.socket.onAny((name: string, payload) => seen[i]!.push({ name, payload }));
  });
  const ask = async (socket: typeof chair.socket, name: string, payload: unknown = {}) => {
    const answer = (await socket.timeout(10_000).emitWithAck(name, payload)) as {
      ok: boolean;
      error?: unknown;
    };
    if (!answer.ok) throw new Error(`${name}: ${JSON.stringify(answer.error)}`);
  };
  for (const c of siteSockets) await ask(c.socket, 'join');
  await ask(chair.socket, 'join');
  await ask(chair.socket, 'startSession');
  const chairEnded: { reason: { vi: string; en: string } }[] = [];
  chair.socket.on('sessionEnded', (e: { reason: { vi: string; en: string } }) =>
    chairEnded.push(e),
  );

  // 1. A single-site notification sent from the other node reaches that site's page only.
  const notice = { meetingId: meeting.id, siteId: sites[0]!.id, marker: 'from-the-other-node' };
  other.signaling.notify(meeting.id, 'notificationAdded', notice as never, {
    siteId: sites[0]!.id,
  });
  await waitFor(
    () => seen[0]!.some((e) => e.name === 'notificationAdded'),
    3000,
    'the site on the owner gets the notification',
  );
  t.pass('a single-site notification crosses nodes');
  t.notOk(
    seen[1]!.some((e) => e.name === 'notificationAdded'),
    'another site does not get it',
  );

  // 2. The meeting edited on the other node: the site removed from it leaves the session.
  const current = await other.data.meetings.get(meeting.id);
  await other.data.meetings.update(
    meeting.id,
    input([sites[0]!.id, sites[1]!.id]),
    current.version,
    system,
  );
  await waitFor(
    () => seen[2]!.some((e) => e.name === 'accessRevoked'),
    3000,
    'the removed site is told on the owner',
  );
  t.pass('a meeting edit on the other node reaches the session (the removed site leaves)');

  // 3. A link revoked on the other node ends that page's connection on the owner.
  await other.data.access.revokeLink(
    meeting.id,
    linkOf('technician', sites[1]!.id).link.id,
    system,
  );
  await waitFor(() => !siteSockets[1]!.socket.connected, 3000, 'the revoked page disconnected');
  t.ok(
    seen[1]!.some((e) => e.name === 'accessRevoked'),
    'a link revoked on the other node closes the page on the owner, saying why',
  );

  // 4. IT ends the meeting through the other node: the owner's session ends it.
  const res = await fetch(`${other.url}/api/meetings/${meeting.id}/actions/end`, {
    method: 'POST',
    headers: { cookie, origin: other.url, 'content-type': 'application/json' },
    body: '{}',
  });
  const body = (await res.json()) as { state: string };
  t.equal(res.status, 200, 'the end action answers 200 on the other node');
  t.equal(body.state, 'ended', 'with the meeting ended');
  await waitFor(() => chairEnded.length > 0, 3000, 'the chair is told on the owner');
  t.match(
    chairEnded[0]!.reason,
    { vi: /kết thúc/ },
    'the chair on the owner learns the meeting ended',
  );
  await waitFor(() => owner.signaling.session(meeting.id) === undefined, 5000, 'session closed');
  t.pass('the session on the owner closed');

  // The registry carries the media workers' CPU.
  const listed = (await (
    await fetch(`${b.url}/api/cluster/nodes`, { headers: { cookie } })
  ).json()) as { id: string; load: { workerCpu: number } }[];
  t.equal(listed.length, 2, 'both nodes listed');
  t.ok(
    listed.every((n) => typeof n.load.workerCpu === 'number' && n.load.workerCpu >= 0),
    `each with its workers' CPU (${listed.map((n) => `${n.id}: ${n.load.workerCpu} %`).join(', ')})`,
  );
});
