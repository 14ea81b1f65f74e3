import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import t, { type Test } from 'tap';
import type { MediaEndpoint } from '../../media/MediaEndpoint.js';
import type { Room } from '../../media/Room.js';
import { Cascade } from '../../server/cluster/Cascade.js';
import type { ClusterBus } from '../../server/cluster/ClusterBus.js';
import { ConsumerReconciler } from '../../signaling/session/ConsumerReconciler.js';
import { Participant } from '../../signaling/session/Participant.js';
import {
  asProducer,
  asRouter,
  type FakeProducer,
  FakeRouter,
  MemoryPubSub,
  memoryBus,
} from '../helpers/fakeCluster.js';
import { testLogger } from '../helpers/logger.js';

/*
 * The orders in which a receiving node's session can close, a new one open and a pipe arrive,
 * replayed on an in-memory bus with fake routers. Each time the receiving session asks for the
 * producers it wants the way the consumer reconciler does (ask; if refused, ask again shortly)
 * and, at the end, holds every one of them, in its own router; nothing stays piped into a closed
 * session, and the sender keeps no pipe to a session that is gone.
 */

const MEETING = 'meeting-1';

interface TestNode {
  id: string;
  bus: ClusterBus;
  cascade: Cascade;
  /** The meeting's session here: its epoch and router; undefined while none is open. */
  session?: { epoch: string; router: FakeRouter };
  /** This node's own producers of the meeting (the sending side). */
  own: Map<string, { router: FakeRouter; producer: FakeProducer }>;
  alive: boolean;
  open(): { epoch: string; router: FakeRouter };
  closeSession(): void;
  arrivals: string[];
}

async function cluster(t: Test, ...names: string[]) {
  const hub = new MemoryPubSub();
  const nodes = new Map<string, TestNode>();
  for (const id of names) {
    const bus = await memoryBus(hub, id);
    const node = {
      id,
      bus,
      own: new Map(),
      alive: true,
      arrivals: [],
    } as unknown as TestNode;
    node.cascade = new Cascade({
      bus,
      nodeId: id,
      address: { listenIp: '127.0.0.1', announcedAddress: '127.0.0.1' },
      alive: async (other) => nodes.get(other)?.alive ?? false,
      receiver: () =>
        node.session && !node.session.router.closed
          ? { epoch: node.session.epoch, router: asRouter(node.session.router), workerIndex: 0 }
          : undefined,
      producer: (_m, producerId) => {
        const own = node.own.get(producerId);
        return own && { router: asRouter(own.router), producer: asProducer(own.producer) };
      },
      arrived: (_m, producer) => node.arrivals.push(producer.id),
      logger: testLogger,
      watchMs: 50,
    });
    node.open = () => {
      node.session = { epoch: randomUUID(), router: new FakeRouter() };
      return node.session;
    };
    node.closeSession = () => {
      node.session?.router.close();
      node.session = undefined;
    };
    nodes.set(id, node);
    t.teardown(() => {
      node.cascade.close();
      bus.close();
    });
  }
  return { hub, node: (id: string) => nodes.get(id)! };
}

/** The main point's camera and microphone on the sending node. */
function mainPoint(sender: TestNode) {
  const router = new FakeRouter();
  const ids: string[] = [];
  for (const kind of ['video', 'audio'] as const) {
    const producer = router.addProducer(kind, { appData: { source: kind } });
    sender.own.set(producer.id, { router, producer });
    ids.push(producer.id);
  }
  return ids;
}

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

/** What the reconciler does for one receiver: ask for each wanted producer until held. */
async function want(receiver: TestNode, from: string, ids: string[], deadlineMs = 3000) {
  const end = Date.now() + deadlineMs;
  for (const id of ids) {
    for (;;) {
      try {
        await receiver.cascade.fetch(MEETING, from, id);
        break;
      } catch (err) {
        if (Date.now() > end) throw err;
        await tick(20);
      }
    }
  }
}

/** Every wanted producer is held by the current session, on its own router, and open. */
function holdsAll(t: Test, receiver: TestNode, ids: string[], what: string) {
  const router = receiver.session!.router;
  const held = receiver.cascade.edgeProducers(MEETING);
  t.same([...held.keys()].sort(), [...ids].sort(), `${what}: the session holds every producer`);
  t.ok(
    ids.every((id) => router.producers.get(id) && !router.producers.get(id)!.closed),
    `${what}: in its own router`,
  );
}

function outLinks(sender: TestNode, to: string) {
  return sender.cascade.edgesOf(MEETING).filter((n) => n === to).length;
}

t.test('a session that opens after a pipe was started gets its own', async (t) => {
  const { node } = await cluster(t, 'owner', 'edge');
  const [owner, edge] = [node('owner'), node('edge')];
  const ids = mainPoint(owner);
  // No session on the edge: a pipe addressed to an epoch it does not know is refused.
  await t.rejects(
    owner.cascade.send(
      MEETING,
      'edge',
      'no-such-session',
      asRouter(owner.own.get(ids[0]!)!.router),
      asProducer(owner.own.get(ids[0]!)!.producer),
    ),
    { code: 'conflict' },
    'a pipe to a session that is not open is refused',
  );
  t.equal(outLinks(owner, 'edge'), 0, 'and the sender keeps nothing of it');
  edge.open();
  await want(edge, 'owner', ids);
  holdsAll(t, edge, ids, 'opened after');
});

t.test('a pipe in flight when the session is replaced goes to the new one', async (t) => {
  const { hub, node } = await cluster(t, 'owner', 'edge');
  const [owner, edge] = [node('owner'), node('edge')];
  const ids = mainPoint(owner);
  edge.open();
  // The first session asks; its pipe's opening is held on the way to the edge.
  const release = hub.hold('cascade.open', ':edge');
  const first = want(edge, 'owner', ids, 300).catch((err: unknown) => err);
  await tick(20);
  edge.closeSession();
  edge.open();
  release();
  await first;
  await want(edge, 'owner', ids);
  holdsAll(t, edge, ids, 'open raced the close');
  await tick(30);
  t.equal(owner.cascade.edgesOf(MEETING).length, 1, 'one pipe to the edge remains');
});

t.test('a produce that lands as the session closes is refused and sent again', async (t) => {
  const { hub, node } = await cluster(t, 'owner', 'edge');
  const [owner, edge] = [node('owner'), node('edge')];
  const ids = mainPoint(owner);
  edge.open();
  const release = hub.hold('cascade.produce', ':edge');
  const first = want(edge, 'owner', ids, 300).catch((err: unknown) => err);
  await tick(20);
  edge.closeSession();
  edge.open();
  release();
  await first;
  await want(edge, 'owner', ids);
  holdsAll(t, edge, ids, 'produce raced the close');
});

t.test('the close of an old session reaches the sender after the new one asked', async (t) => {
  const { hub, node } = await cluster(t, 'owner', 'edge');
  const [owner, edge] = [node('owner'), node('edge')];
  const ids = mainPoint(owner);
  edge.open();
  await want(edge, 'owner', ids);
  holdsAll(t, edge, ids, 'first session');
  const releaseDropped = hub.hold('cascade.dropped', ':owner');
  edge.closeSession();
  edge.open();
  await want(edge, 'owner', ids);
  releaseDropped();
  await tick(30);
  holdsAll(t, edge, ids, 'dropped late');
  t.equal(owner.cascade.edgesOf(MEETING).length, 1, 'the sender keeps only the live pipe');
});

t.test('a producer the sender believes sent but the receiver lost is sent again', async (t) => {
  const { node } = await cluster(t, 'owner', 'edge');
  const [owner, edge] = [node('owner'), node('edge')];
  const ids = mainPoint(owner);
  const session = edge.open();
  await want(edge, 'owner', ids);
  // The receiver loses one copy (its side closed it); the sender was not told.
  session.router.producers.get(ids[0]!)!.close();
  t.notOk(edge.cascade.held(MEETING, ids[0]!), 'the copy is gone on the edge');
  await want(edge, 'owner', ids);
  holdsAll(t, edge, ids, 'lost copy');
});

t.test('a session that closes and opens with nothing in between asks afresh', async (t) => {
  const { node } = await cluster(t, 'owner', 'edge');
  const [owner, edge] = [node('owner'), node('edge')];
  const ids = mainPoint(owner);
  for (let i = 0; i < 5; i++) {
    edge.open();
    await want(edge, 'owner', ids);
    holdsAll(t, edge, ids, `session ${i + 1}`);
    edge.closeSession();
  }
  edge.open();
  await want(edge, 'owner', ids);
  holdsAll(t, edge, ids, 'the last session');
});

t.test('receivers of one session asking at once share one pipe', async (t) => {
  const { hub, node } = await cluster(t, 'owner', 'edge');
  const [owner, edge] = [node('owner'), node('edge')];
  const ids = mainPoint(owner);
  edge.open();
  await Promise.all([want(edge, 'owner', ids), want(edge, 'owner', ids), want(edge, 'owner', ids)]);
  holdsAll(t, edge, ids, 'three receivers');
  t.equal(hub.log.filter((l) => l.startsWith('cascade.open')).length, 1, 'one pipe opened');
  t.equal(
    hub.log.filter((l) => l.startsWith('cascade.produce')).length,
    ids.length,
    'each producer sent once',
  );
});

t.test('pipes from a node that died are dropped; the new sender is asked', async (t) => {
  const { node } = await cluster(t, 'a', 'b', 'edge');
  const [a, b, edge] = [node('a'), node('b'), node('edge')];
  const ids = mainPoint(a);
  edge.open();
  await want(edge, 'a', ids);
  a.alive = false;
  await t.resolves(
    (async () => {
      while (edge.cascade.edgeProducers(MEETING).size) await tick(10);
    })(),
    "the dead sender's copies go",
  );
  // The meeting moved: the main point republished on b, with new producers.
  const moved = mainPoint(b);
  edge.closeSession();
  edge.open();
  await want(edge, 'b', moved);
  holdsAll(t, edge, moved, 'after the move');
});

t.test('every order of close, open and pipe arrival ends with all producers held', async (t) => {
  const steps = ['cascade.want', 'cascade.open', 'cascade.produce', 'cascade.dropped'] as const;
  for (const held of steps) {
    for (const closeAt of [0, 1, 2]) {
      const { hub, node } = await cluster(t, 'owner', 'edge');
      const [owner, edge] = [node('owner'), node('edge')];
      const ids = mainPoint(owner);
      edge.open();
      if (closeAt === 0) await want(edge, 'owner', ids);
      const release = hub.hold(held);
      const first = want(edge, 'owner', ids, 200).catch(() => {});
      await tick(closeAt * 10);
      edge.closeSession();
      if (closeAt === 2) await tick(10);
      edge.open();
      const second = want(edge, 'owner', ids, 3000);
      await tick(10);
      release();
      await first;
      await second;
      await tick(20);
      holdsAll(t, edge, ids, `${held} held, close at step ${closeAt}`);
    }
  }
});

t.test('the reconciler asks again until every receiver consumes what it wants', async (t) => {
  const { node } = await cluster(t, 'owner', 'edge');
  const [owner, edge] = [node('owner'), node('edge')];
  const ids = mainPoint(owner);
  edge.open();
  // The edge learned of the main point's producers (roster) before the owner can send them:
  // the first asks are refused ('no producer here'); the owner has them a moment later.
  const own = new Map(owner.own);
  owner.own.clear();
  setTimeout(() => {
    for (const [id, p] of own) owner.own.set(id, p);
  }, 120);

  const station = new Participant({ endpointId: 'station', role: 'station', name: 'Hội trường' });
  station.remote = {
    nodeId: 'owner',
    view: {
      endpointId: 'station',
      role: 'station',
      name: 'Hội trường',
      online: true,
      handRaised: false,
      mutedByChair: false,
      selfMuted: false,
      hasFloor: false,
      sources: ['camera', 'microphone'],
    },
    producers: ids.map((id) => ({
      id,
      source:
        own.get(id)!.producer.kind === 'video' ? ('camera' as const) : ('microphone' as const),
    })),
  };
  const consumers = new Map<string, { producerId: string }>();
  const site = new Participant({ endpointId: 'site:1', role: 'site', siteId: '1', name: 'Đà Bắc' });
  site.media = {
    isClosed: false,
    rtpCapabilities: {},
    recvTransport: () => ({}),
    producers: new Map(),
    consumers,
    consumerOf: (producerId: string) =>
      [...consumers.values()].find((c) => c.producerId === producerId),
  } as unknown as MediaEndpoint;
  const room = {
    consume: async (_media: unknown, producer: types.Producer) => {
      const consumer = Object.assign(new EventEmitter(), {
        id: `c-${producer.id}`,
        producerId: producer.id,
        kind: producer.kind,
        rtpParameters: {},
      });
      consumers.set(consumer.id, consumer);
      return consumer;
    },
  } as unknown as Room;
  const reconciler = new ConsumerReconciler({
    room,
    logger: testLogger,
    participants: () => [station, site],
    ruleState: () => ({ status: 'live', loopbackSiteIds: new Set() }),
    isClosed: () => false,
    fetch: (nodeId, producerId) => edge.cascade.fetch(MEETING, nodeId, producerId),
    retryMs: 30,
  });
  reconciler.all();
  await t.resolves(
    (async () => {
      while (!ids.every((id) => site.media!.consumerOf(id))) await tick(10);
    })(),
    'the site consumes the main point once the owner can send it',
  );
  holdsAll(t, edge, ids, 'after retries');
});
