import { EventEmitter } from 'node:events';
import t from 'tap';
import type { Config } from '../../config/index.js';
import type { SessionState } from '../../protocol/socket.js';
import type { DataServices } from '../../server/DataServices.js';
import { DialOut } from '../../server/sip/DialOut.js';
import type { SipEdge } from '../../server/sip/SipEdge.js';
import type { SignalingServer } from '../../signaling/SignalingServer.js';
import type { MeetingSession } from '../../signaling/session/MeetingSession.js';
import { waitFor } from '../helpers/browser.js';
import { testLogger } from '../helpers/logger.js';

/*
 * DialOut's decisions on fakes (a room that never answers, a page that holds its site): when it
 * calls, how long it waits between calls, when it stops. The calls themselves (SIP, media) are
 * tested with baresip in test/media/sip-dialout.test.ts.
 */

/** A call to a room that never answers: it fails 408 once placed. */
class FakeCall {
  state = 'calling';
  connectedAt = 0;
  endReason?: string;
  constructor(
    readonly meetingId: string,
    readonly siteId: string,
    private readonly edge: FakeEdge,
  ) {}
  hangUp(reason: string) {
    this.endReason = reason;
    this.state = 'ended';
  }
  async place() {
    this.hangUp('408 Request Timeout');
    this.edge.emit('callChanged', this);
    throw new Error('408 Request Timeout');
  }
}

class FakeEdge extends EventEmitter {
  readonly placed: number[] = [];
  callOf() {
    return undefined;
  }
  async place(session: { meetingId: string }, site: { id: string }) {
    this.placed.push(Date.now());
    return new FakeCall(session.meetingId, site.id, this);
  }
}

class FakeSession extends EventEmitter {
  readonly meetingId = 'm1';
  readonly role = { decides: true };
  isClosed = false;
  status: SessionState['status'] = 'waiting';
  pageOnline = false;
  readonly shown: string[] = [];
  get state() {
    return { status: this.status } as SessionState;
  }
  participant() {
    return this.pageOnline ? { socket: {} } : undefined;
  }
  showCall(_siteId: string, call: string) {
    this.shown.push(call);
  }
  go(status: SessionState['status']) {
    this.status = status;
    this.emit('stateChanged', this.state);
  }
}

function setUp(dialAttempts: number) {
  const events = new EventEmitter();
  const edge = new FakeEdge();
  const site = {
    id: 's1',
    name: 'Hội trường',
    sip: { user: 'hall', dialOut: 'sip:hall@10.0.0.5' },
  };
  const data = {
    meetings: Object.assign(new EventEmitter(), {
      find: async () => ({ id: 'm1', sites: [{ siteId: 's1' }] }),
    }),
    sites: Object.assign(new EventEmitter(), {
      getMany: async () => new Map([['s1', site]]),
    }),
  };
  const dialOut = new DialOut({
    edge: edge as unknown as SipEdge,
    signaling: { events } as unknown as SignalingServer,
    data: data as unknown as DataServices,
    settings: { dialRetryMinSeconds: 1, dialRetryMaxSeconds: 2, dialAttempts } as Config['sip'],
    logger: testLogger,
  });
  const session = new FakeSession();
  events.emit('sessionOpened', session as unknown as MeetingSession);
  return { dialOut, edge, session };
}

t.test(
  'a room that never answers: called at once, then after 1 s, 2 s, 2 s, then no more',
  async (t) => {
    const { dialOut, edge, session } = setUp(4);
    t.teardown(() => dialOut.close());
    await new Promise((r) => setTimeout(r, 100));
    t.equal(edge.placed.length, 0, 'not called before the session is live');
    t.same(session.shown, ['not_called']);
    const start = Date.now();
    session.go('live');
    await waitFor(() => edge.placed.length === 4, 10_000, 'four calls');
    const gaps = edge.placed.map((at, i) => (i ? at - edge.placed[i - 1]! : at - start));
    t.ok(gaps[0]! < 500, `the first call at once (${gaps[0]} ms)`);
    for (const [i, want] of [
      [1, 1000],
      [2, 2000],
      [3, 2000],
    ] as const)
      t.ok(
        gaps[i]! >= want - 50 && gaps[i]! < want + 900,
        `call ${i + 1} after ${gaps[i]} ms (the wait doubles from 1 s, capped at 2 s)`,
      );
    await new Promise((r) => setTimeout(r, 3000));
    t.equal(edge.placed.length, 4, 'no fifth call: the attempts are spent');
    t.equal(session.shown.at(-1), 'dropped', 'the board shows it dropped');
  },
);

t.test('the session ends while waiting to call again: no more calls', async (t) => {
  const { dialOut, edge, session } = setUp(10);
  t.teardown(() => dialOut.close());
  session.go('live');
  await waitFor(() => edge.placed.length === 1, 5000, 'the first call');
  session.go('ended');
  await new Promise((r) => setTimeout(r, 2500));
  t.equal(edge.placed.length, 1, 'the retry was dropped with the session');
  t.equal(session.shown.at(-1), 'not_called');
});

t.test('a site whose page is open is not taken from it', async (t) => {
  const { dialOut, edge, session } = setUp(10);
  t.teardown(() => dialOut.close());
  session.pageOnline = true;
  session.go('live');
  await new Promise((r) => setTimeout(r, 1500));
  t.equal(edge.placed.length, 0, 'not called while the page holds the site');
  session.pageOnline = false;
  session.emit('endpointLeft', { siteId: 's1' });
  await waitFor(() => edge.placed.length === 1, 5000, 'called once the page left');
  t.pass('called once the page left');
});
