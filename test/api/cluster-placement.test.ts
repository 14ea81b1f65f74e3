import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import t from 'tap';
import { MeetingPlacement } from '../../server/cluster/MeetingPlacement.js';
import { loadScore, type NodeLoad, NodeRegistry } from '../../server/cluster/NodeRegistry.js';
import { Keys } from '../../server/store/keys.js';
import { testLogger } from '../helpers/logger.js';
import { startTestRedis } from '../helpers/redis.js';

/*
 * Nodes and leases on a real Redis: registration with a TTL, placement on the lightest node,
 * a non-owner told the owner, renewal, expiry and takeover with a larger fencing token, and a
 * former owner's saved-state write refused.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('nodes and meeting leases', async (t) => {
  const { url } = await startTestRedis(t);
  const redis = new Redis(url);
  t.teardown(() => redis.quit());
  const keys = new Keys(`diemcau:test-${randomUUID().slice(0, 8)}:`);
  const ttlMs = 600;

  function node(id: string, load: NodeLoad) {
    const self = { id, url: `http://${id}.example.test:8080` };
    const registry = new NodeRegistry({
      redis,
      keys,
      logger: testLogger,
      node: { ...self, mediaAddress: `10.0.0.${id.length}` },
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
    t.teardown(async () => {
      await placement.releaseAll();
      await registry.close();
    });
    return { registry, placement, self };
  }

  const a = node('a', { sessions: 3, endpoints: 40, consumers: 400, workerCpu: 0 });
  const b = node('bb', { sessions: 1, endpoints: 5, consumers: 20, workerCpu: 0 });
  await a.registry.start();
  await b.registry.start();
  const listed = await a.registry.list();
  t.same(listed.map((n) => n.id).sort(), ['a', 'bb'], 'both nodes registered');
  t.equal(listed.find((n) => n.id === 'bb')?.mediaAddress, '10.0.0.2', 'with their media address');

  const meetingId = randomUUID();
  const first = await a.placement.admit(meetingId);
  t.equal(first.here, false, 'a is loaded: the meeting is not served there');
  t.equal(first.lease.nodeId, 'bb', 'placed on the lightest node');
  t.equal(first.lease.url, b.self.url, 'the answer names the owner URL');
  const atOwner = await b.placement.admit(meetingId);
  t.ok(atOwner.here, 'the owner serves it');
  t.equal(atOwner.lease.token, first.lease.token, 'same lease, same token');

  const release = b.placement.hold(meetingId, () => t.fail('lease lost while renewed'));
  await sleep(ttlMs * 2);
  t.equal((await a.placement.current(meetingId))?.nodeId, 'bb', 'renewal keeps the lease');
  t.ok(
    await b.placement.fencedSet(meetingId, keys.meetingLive(meetingId), '{"v":1}', 60),
    'the owner writes the saved state',
  );
  t.notOk(
    await a.placement.fencedSet(meetingId, keys.meetingLive(meetingId), '{"v":0}', 60),
    'a node without the lease cannot',
  );
  await release();
  t.equal(await a.placement.current(meetingId), undefined, 'closing the session releases it');

  // The owner dies: its heartbeat and its renewals stop. A second meeting shows the takeover.
  const m2 = randomUUID();
  t.equal((await b.placement.admit(m2)).here, true, 'b owns a second meeting');
  let lost = false;
  b.placement.hold(m2, () => {
    lost = true;
  });
  const oldToken = b.placement.tokenOf(m2)!;
  // Simulates b stalling: its lease is gone (expired) and a takes the meeting.
  await redis.del(keys.meetingOwner(m2));
  await b.registry.close();
  const taken = await a.placement.admit(m2);
  t.ok(taken.here, 'the only live node takes the meeting over');
  t.ok(taken.lease.token > oldToken, `a larger fencing token (${oldToken} → ${taken.lease.token})`);
  t.notOk(
    await b.placement.fencedSet(m2, keys.meetingLive(m2), '{"stale":true}', 60),
    'the former owner can no longer write the saved state',
  );
  await sleep(ttlMs);
  t.ok(lost, 'the former owner learns it lost the lease at its next renewal');

  // A node found dead (its record removed by NodeWatch) loses its leases at once, not at expiry.
  const m3 = randomUUID();
  const deadLease = { token: 1, nodeId: 'bb', url: b.self.url };
  await redis.set(keys.meetingOwner(m3), JSON.stringify(deadLease), 'PX', 60_000);
  const back = await a.placement.admit(m3);
  t.ok(back.here, 'a lease naming a node without a record is taken back without waiting');

  // A node whose heartbeat stops disappears from the list once its record expires.
  const c = node('c', { sessions: 0, endpoints: 0, consumers: 0, workerCpu: 0 });
  await c.registry.start();
  await redis.set(keys.clusterNode('ghost'), 'x', 'PX', 50);
  await redis.sadd(keys.clusterNodes, 'ghost');
  await sleep(100);
  t.notOk(
    (await a.registry.list()).some((n) => n.id === 'ghost'),
    'an expired node is skipped and pruned',
  );
  t.equal(await redis.sismember(keys.clusterNodes, 'ghost'), 0, 'pruned from the set');
});

t.test('a node whose media workers are busy counts as loaded', async (t) => {
  const idle = { sessions: 1, endpoints: 10, consumers: 60, workerCpu: 5 };
  const hot = { sessions: 1, endpoints: 10, consumers: 60, workerCpu: 85 };
  t.ok(loadScore(hot) > loadScore(idle), 'the same meetings on a busier worker weigh more');
  t.ok(
    loadScore({ sessions: 0, endpoints: 0, consumers: 0, workerCpu: 90 }) >
      loadScore({ sessions: 1, endpoints: 10, consumers: 100, workerCpu: 0 }),
    'a worker near a full core outweighs a small meeting',
  );
});
