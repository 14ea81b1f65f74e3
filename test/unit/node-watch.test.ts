import t from 'tap';
import type { NodeRecord } from '../../server/cluster/NodeRegistry.js';
import { NodeWatch } from '../../server/cluster/NodeWatch.js';
import { testLogger } from '../helpers/logger.js';

/*
 * When a node is judged dead before its lease runs out: only when the evidence is clear, a late
 * heartbeat AND no process listening on its bus channel (Redis dropped its connection). A slow
 * node (late, still connected) and a node whose bus connection blinked (not late) are left
 * alone; a node that beat again between the look and the eviction is kept.
 */

const record = (id: string, heartbeatAt: number): NodeRecord => ({
  id,
  url: `http://${id}.test:8080`,
  mediaAddress: '127.0.0.1',
  startedAt: 0,
  heartbeatAt,
  load: { sessions: 0, endpoints: 0, consumers: 0, workerCpu: 0 },
});

t.test('a node is found dead only on clear evidence', async (t) => {
  const now = 1_000_000;
  const nodes = [
    record('self', now - 5000),
    record('slow', now - 4000),
    record('blinked', now - 200),
    record('dead', now - 1500),
    record('beat-again', now - 1500),
  ];
  const listening = new Map([
    ['self', false],
    ['slow', true],
    ['blinked', false],
    ['dead', false],
    ['beat-again', false],
  ]);
  const evicted: string[] = [];
  const gone: string[] = [];
  const watch = new NodeWatch({
    selfId: 'self',
    list: async () => nodes,
    listening: async (id) => listening.get(id) ?? false,
    evict: async (n) => {
      if (n.id === 'beat-again') return false;
      evicted.push(n.id);
      nodes.splice(nodes.indexOf(n), 1);
      return true;
    },
    gone: (id) => gone.push(id),
    heartbeatMs: 1000,
    logger: testLogger,
    everyMs: 60_000,
  });
  t.teardown(() => watch.stop());
  t.same(await watch.round(now), [], 'nothing is judged at the first look');
  t.same(await watch.round(now + 100), ['dead'], 'only the node late and unheard twice');
  t.same(evicted, ['dead'], 'its record is removed');
  t.same(gone, ['dead'], 'and the cluster is told');
  t.notOk(evicted.includes('self'), 'a node never judges itself');
  t.notOk(evicted.includes('slow'), 'a slow node that keeps its connection stays');
  t.notOk(evicted.includes('blinked'), 'a node whose connection blinked but beats stays');
  // A node that beat between two looks starts over.
  nodes.push(record('late-once', now - 2000));
  listening.set('late-once', false);
  await watch.round(now + 200);
  nodes[nodes.findIndex((n) => n.id === 'late-once')] = record('late-once', now - 1100);
  t.same(await watch.round(now + 300), [], 'a node that beat between the looks is not judged');
});
