import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import t from 'tap';
import { MeetingPlacement } from '../../server/cluster/MeetingPlacement.js';
import { type NodeLoad, NodeRegistry } from '../../server/cluster/NodeRegistry.js';
import { SitePlacement } from '../../server/cluster/SitePlacement.js';
import { Keys } from '../../server/store/keys.js';
import { testLogger } from '../helpers/logger.js';
import { startTestRedis } from '../helpers/redis.js';

/*
 * Where a cascaded meeting's sites connect, on a real Redis: the owner carries the first
 * `sitesPerNode`, the next go to the lightest other node up to the same cap; 30 sites asking at
 * once never overfill a node; a site keeps its node, and one whose node died is placed again;
 * with the cap 0 every site goes to the owner.
 */

t.test('sites of a cascaded meeting are placed by capacity', async (t) => {
  const { url } = await startTestRedis(t);
  const redis = new Redis(url);
  t.teardown(() => redis.quit());
  const keys = new Keys(`diemcau:test-${randomUUID().slice(0, 8)}:`);
  const ttlMs = 800;

  function node(id: string, load: NodeLoad, sitesPerNode: number) {
    const self = { id, url: `http://${id}.example.test:8080` };
    const registry = new NodeRegistry({
      redis,
      keys,
      logger: testLogger,
      node: { ...self, mediaAddress: '10.0.0.1' },
      load: () => load,
      ttlMs,
    });
    const placement = new MeetingPlacement({
      redis,
      keys,
      registry,
      self,
      logger: testLogger,
      leaseMs: ttlMs,
    });
    const sites = new SitePlacement({
      redis,
      keys,
      registry,
      placement,
      selfId: id,
      sitesPerNode,
      logger: testLogger,
    });
    t.teardown(async () => {
      await placement.releaseAll();
      await registry.close();
    });
    return { registry, placement, sites };
  }

  const idle = { sessions: 0, endpoints: 0, consumers: 0, workerCpu: 0 };
  const a = node('a', idle, 10);
  const b = node('b', { ...idle, consumers: 50 }, 10);
  const c = node('c', { ...idle, consumers: 10 }, 10);
  for (const n of [a, b, c]) await n.registry.start();

  const meetingId = randomUUID();
  // The owner is placed by load: a, the idle one.
  const owner = await a.placement.admit(meetingId);
  t.equal(owner.lease.nodeId, 'a', 'the meeting is owned by a');
  a.placement.hold(meetingId, () => t.fail('lease lost'));

  const siteIds = Array.from({ length: 30 }, (_, i) => `site-${String(i).padStart(2, '0')}`);
  // All at once, through any node.
  const placed = await Promise.all(
    siteIds.map((id, i) => [a, b, c][i % 3]!.sites.nodeOf(meetingId, id)),
  );
  const count = (node: string) => placed.filter((p) => p.nodeId === node).length;
  t.same(
    { a: count('a'), b: count('b'), c: count('c') },
    { a: 10, b: 10, c: 10 },
    '30 sites at once: 10 per node, none over the cap',
  );
  const overflow = await a.sites.nodeOf(meetingId, 'site-30');
  t.equal(
    overflow.nodeId,
    'a',
    'a 31st site, every node full: the one carrying fewest (the owner first)',
  );

  const again = await c.sites.nodeOf(meetingId, 'site-05');
  t.equal(again.nodeId, placed[5]!.nodeId, 'a site asking again keeps its node');
  t.equal(again.url, `http://${again.nodeId}.example.test:8080`, "with that node's URL");

  // Admission: a site placed on c is served by c as an edge of the owner a; b sends it to c.
  const onC = siteIds[placed.findIndex((p) => p.nodeId === 'c')]!;
  const atC = await c.sites.admit(meetingId, { siteId: onC });
  t.same(atC.here && atC.ownerNodeId, 'a', 'c serves its site as an edge of a');
  const atB = await b.sites.admit(meetingId, { siteId: onC });
  t.same(!atB.here && atB.url, 'http://c.example.test:8080', 'b sends that site to c');
  const station = await c.sites.admit(meetingId);
  t.same(!station.here && station.url, 'http://a.example.test:8080', 'the main point goes to a');
  const watcher = await b.sites.admit(meetingId, { watcher: true });
  t.same(watcher.here && watcher.ownerNodeId, 'a', 'IT staff watch from b, as an edge of a');

  // c dies: its sites are placed again on the live nodes.
  await c.registry.close();
  const moved = await b.sites.nodeOf(meetingId, onC);
  t.not(moved.nodeId, 'c', `a site of the dead node is placed again (on ${moved.nodeId})`);

  // The cap 0 never cascades.
  const single = node('d', idle, 0);
  const m2 = randomUUID();
  await single.registry.start();
  const lease = await single.placement.locate(m2);
  const all = await Promise.all(['x', 'y', 'z'].map((s) => single.sites.nodeOf(m2, s)));
  t.same(
    all.map((p) => p.nodeId),
    [lease.nodeId, lease.nodeId, lease.nodeId],
    'with sitesPerNode 0 every site connects to the owner',
  );
});
