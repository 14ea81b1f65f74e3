import t from 'tap';
import type { Actor } from '../../protocol/auth.js';
import { meetingInputSchema } from '../../protocol/meetings.js';
import { siteInputSchema } from '../../protocol/sites.js';
import { waitFor } from '../helpers/browser.js';
import { startWebhookReceiver, WEBHOOK_SECRET } from '../helpers/checkStack.js';
import { connectToOwner, loginCookie, startServiceNode } from '../helpers/clusterNodes.js';
import { startTestRedis } from '../helpers/redis.js';

/*
 * Two Service instances (two nodes, in this process) on one real Redis: both register; a
 * meeting is placed on one of them and a socket that reaches the other is sent to it; a
 * reminder due while both run is sent once per site and the check window opens once; a
 * readiness change made through the other node reaches IT's socket on the owner (Redis adapter).
 */

const system: Actor = { kind: 'system', name: 'test' };
const ADMIN = { username: 'it.cluster', password: 'mat-khau-rat-dai-2026' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
t.test('two nodes on one Redis', async (t) => {
  t.setTimeout(90_000);
  const redis = await startTestRedis(t);
  const webhook = await startWebhookReceiver(t);
  const env = { REDIS_URL: redis.url, WEBHOOK_URL: webhook.url, WEBHOOK_SECRET };
  const a = await startServiceNode(t, 'node-a', env);
  const b = await startServiceNode(t, 'node-b', env);
  const nodes = { [a.url]: a, [b.url]: b };

  await a.data.access.accounts.createUser(ADMIN.username, ADMIN.password, system);
  const cookie = await loginCookie(a.url, ADMIN);
  const listed = (await (
    await fetch(`${b.url}/api/cluster/nodes`, { headers: { cookie } })
  ).json()) as { id: string; url: string }[];
  await waitFor(
    async () => {
      const now = (await (
        await fetch(`${b.url}/api/cluster/nodes`, { headers: { cookie } })
      ).json()) as { id: string; url: string }[];
      listed.splice(0, listed.length, ...now);
      return now.every((n) => nodes[n.url]) && now.length === 2;
    },
    5000,
    'both nodes listed with their URLs',
  );
  t.same(listed.map((n) => n.id).sort(), ['node-a', 'node-b'], 'both nodes registered');

  // A meeting whose check is in 5 s: the 1 h reminder is already due, the window opens at +5 s.
  const main = await a.data.sites.create(
    siteInputSchema.parse({ name: 'Hội trường Sở GD&ĐT', kind: 'main_hall' }),
    system,
  );
  const sites = [];
  for (const name of ['Phòng GD&ĐT Đà Bắc', 'Phòng GD&ĐT Mai Châu'])
    sites.push(
      await a.data.sites.create(
        siteInputSchema.parse({
          name,
          kind: 'district_office',
          technician: { name: 'Kỹ thuật viên', email: 'kt@example.test', phone: '0912345678' },
        }),
        system,
      ),
    );
  const iso = (ms: number) => new Date(ms).toISOString();
  const t0 = Date.now();
  const created = await a.data.meetings.create(
    meetingInputSchema.parse({
      title: 'Giao ban trực tuyến nhiều máy chủ',
      organizer: 'Sở GD&ĐT Hòa Bình',
      opensAt: iso(t0 + 86_400_000),
      closesAt: iso(t0 + 86_400_000 + 3600_000),
      checkAt: iso(t0 + 5000),
      mainSite: { siteId: main.id },
      sites: sites.map((s) => ({ siteId: s.id, expectedCount: 10 })),
    }),
    system,
  );
  const meeting = await a.data.meetings.transition(created.id, 'schedule', system);

  const where = (await (
    await fetch(`${b.url}/api/meetings/${meeting.id}/live`, { headers: { cookie } })
  ).json()) as { url: string; nodeId: string };
  const owner = nodes[where.url]!;
  const other = owner === a ? b : a;
  t.ok(owner, `the meeting is placed on ${where.nodeId}`);

  // IT opens the board through the node that does not own the meeting.
  const it = await connectToOwner(other.url, { auth: { meetingId: meeting.id }, cookie });
  t.teardown(() => void it.socket.close());
  t.ok(it.redirected, 'the other node sends the socket to the owner');
  t.equal(it.url, owner.url, 'which serves it');
  const windowEvents: unknown[] = [];
  const readiness: { siteId: string; checklist?: unknown }[] = [];
  it.socket.on('checkWindowChanged', (e: { open: boolean }) => e.open && windowEvents.push(e));
  it.socket.on('readinessChanged', (r: { siteId: string; checklist?: unknown }) =>
    readiness.push(r),
  );
  const joined = (await it.socket.timeout(5000).emitWithAck('join', {})) as { ok: boolean };
  t.ok(joined.ok, 'IT joined the meeting on the owner');

  const reminders = () =>
    webhook.hits.filter((h) => h.json.kind === 'reminder' && h.body.includes(meeting.id));
  await waitFor(() => reminders().length >= 2, 10_000, 'reminders sent');
  await waitFor(() => windowEvents.length >= 1, 10_000, 'the check window opened');
  // Both nodes run a BullMQ worker on the same queue: give a duplicate time to show.
  await sleep(2500);
  t.equal(reminders().length, 2, 'one reminder per site, sent once although two nodes run');
  t.same(
    reminders()
      .map((h) => h.json.siteId)
      .sort(),
    sites.map((s) => s.id).sort(),
    'to each site',
  );
  t.equal(windowEvents.length, 1, 'the window-open job ran once (one event on the IT board)');
  t.equal((await b.data.meetings.get(meeting.id)).state, 'checking', 'the meeting is checking');

  // A change made through the other node reaches IT's socket on the owner.
  const siteId = sites[0]!.id;
  const before = readiness.length;
  const res = await fetch(`${other.url}/api/meetings/${meeting.id}/sites/${siteId}/checklist`, {
    method: 'PUT',
    headers: { cookie, origin: other.url, 'content-type': 'application/json' },
    body: JSON.stringify({
      items: {
        cameraFraming: true,
        microphone: true,
        display: true,
        backupPower: true,
        banner: true,
        seats: true,
      },
    }),
  });
  t.equal(res.status, 200, `checklist confirmed through ${other === a ? 'node-a' : 'node-b'}`);
  const pushed = await waitFor(
    () => readiness.slice(before).find((r) => r.siteId === siteId && r.checklist),
    3000,
    'readiness pushed across nodes',
  );
  t.ok(pushed, 'IT on the owner sees the change made on the other node');
});
