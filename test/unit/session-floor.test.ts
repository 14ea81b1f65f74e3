import { EventEmitter } from 'node:events';
import type { Server, Socket } from 'socket.io';
import t from 'tap';
import type { MediaEndpoint } from '../../media/MediaEndpoint.js';
import type { Room } from '../../media/Room.js';
import type { EndpointRole } from '../../protocol/socket.js';
import { MeetingSession } from '../../signaling/session/MeetingSession.js';
import type { Participant } from '../../signaling/session/Participant.js';
import { requestHandlers } from '../../signaling/session/requestHandlers.js';
import { testLogger } from '../helpers/logger.js';

/*
 * MeetingSession with its rules, reconciler and notifier, on fakes (sockets that record what
 * they are sent, socket.io rooms in a map, producers and consumers as plain objects): the chair
 * runs a session as on the morning of a meeting, several requests in the same tick, and after
 * each step the receivers consume exactly what the rules say, the pages hear what happened, the
 * chair's mute is enforced on the site's microphone, and closing leaves nothing.
 */

class FakeSocket {
  connected = true;
  readonly data: Record<string, unknown> = {};
  readonly rooms = new Set<string>();
  readonly sent: { name: string; payload: unknown }[] = [];
  constructor(readonly id: string) {}
  join(rooms: string | string[]) {
    for (const r of [rooms].flat()) this.rooms.add(r);
  }
  emit(name: string, payload: unknown) {
    this.sent.push({ name, payload });
    return true;
  }
  disconnect() {
    this.connected = false;
  }
  heard(name: string) {
    return this.sent.filter((e) => e.name === name).map((e) => e.payload);
  }
}

/** socket.io's rooms, enough for io.to(room).emit. */
class FakeIo {
  readonly sockets: FakeSocket[] = [];
  to(target: string | string[]) {
    const rooms = [target].flat();
    return {
      emit: (name: string, payload: unknown) => {
        for (const s of this.sockets)
          if (s.connected && rooms.some((r) => s.rooms.has(r))) s.emit(name, payload);
      },
    };
  }
}

interface FakeProducer {
  id: string;
  kind: 'audio' | 'video';
  paused: boolean;
  appData: { endpointId: string; source: string };
  rtpParameters: { encodings: unknown[] };
  pause(): Promise<void>;
  resume(): Promise<void>;
}

function fakeMedia(endpointId: string, sources: ('camera' | 'microphone')[]) {
  const consumers = new Map<string, EventEmitter & { id: string; producerId: string }>();
  const producers = new Map<string, FakeProducer>();
  for (const source of sources) {
    const producer: FakeProducer = {
      id: `${endpointId}/${source}`,
      kind: source === 'camera' ? 'video' : 'audio',
      paused: false,
      appData: { endpointId, source },
      rtpParameters: { encodings: [] },
      async pause() {
        this.paused = true;
      },
      async resume() {
        this.paused = false;
      },
    };
    producers.set(producer.id, producer);
  }
  const media = {
    id: endpointId,
    isClosed: false,
    rtpCapabilities: {},
    router: {},
    recvTransport: () => ({}),
    producers,
    consumers,
    consumerOf: (producerId: string) =>
      [...consumers.values()].find((c) => c.producerId === producerId),
    close() {
      media.isClosed = true;
      consumers.clear();
    },
  };
  return media;
}

function fakeRoom() {
  // The room's events (a worker lost, the active speaker) are an EventEmitter's.
  const room = Object.assign(new EventEmitter(), {
    isClosed: false,
    closedFor: undefined as string | undefined,
    async consume(
      media: ReturnType<typeof fakeMedia>,
      producer: FakeProducer,
    ): Promise<EventEmitter & { id: string; producerId: string }> {
      const consumer = Object.assign(new EventEmitter(), {
        id: `${media.id}<-${producer.id}`,
        producerId: producer.id,
        kind: producer.kind,
        type: 'simple',
        rtpParameters: {},
        close() {
          media.consumers.delete(consumer.id);
        },
      });
      media.consumers.set(consumer.id, consumer);
      return consumer;
    },
    close(reason: string) {
      room.isClosed = true;
      room.closedFor = reason;
    },
  });
  return room;
}

const SITES = new Map([
  ['s-dabac', 'UBND xã Đà Bắc'],
  ['s-tanlac', 'Trường THCS Tân Lạc'],
]);

function setUp() {
  const io = new FakeIo();
  const room = fakeRoom();
  const lifecycle: string[] = [];
  const saved: unknown[] = [];
  const session = new MeetingSession({
    meetingId: 'm-1',
    room: room as unknown as Room,
    io: io as unknown as Server,
    info: { title: 'Giao ban tháng 12', sites: SITES, agendaLength: 3 },
    hooks: {
      started: async (actor) => void lifecycle.push(`started by ${actor}`),
      ended: async (actor, action) => void lifecycle.push(`${action} by ${actor}`),
      saveState: (snapshot) => void saved.push(snapshot),
    },
    iceServers: () => [],
    logger: testLogger,
    qualityThresholds: { maxRttMs: 200, maxLossPercent: 1, maxJitterMs: 30 },
    statsIntervalMs: 60_000,
    onClosed: () => void lifecycle.push('closed'),
  });
  const handlers = requestHandlers(session);
  const endpoints = new Map<string, { p: Participant; socket: FakeSocket }>();
  const join = (endpointId: string, role: EndpointRole, name: string, siteId?: string) => {
    const socket = new FakeSocket(`sock-${endpointId}`);
    io.sockets.push(socket);
    const p = session.attach(
      { endpointId, role, name, ...(siteId ? { siteId } : {}) },
      socket as unknown as Socket,
    );
    const sends = role === 'chair' || role === 'it' ? [] : (['camera', 'microphone'] as const);
    p.media = fakeMedia(endpointId, [...sends]) as unknown as MediaEndpoint;
    endpoints.set(endpointId, { p, socket });
    return { p, socket };
  };
  /** The producers an endpoint consumes now, as "sender/source", sorted. */
  const consumes = async (endpointId: string) => {
    const { p } = endpoints.get(endpointId)!;
    session.consumers.one(p);
    await p.reconciling;
    return [...(p.media?.consumers.values() ?? [])].map((c) => c.producerId).sort();
  };
  return { session, handlers, io, room, lifecycle, saved, join, consumes, endpoints };
}

t.test('the chair runs a session: floor, hands and a mute, several in one tick', async (t) => {
  const { session, handlers, room, lifecycle, saved, join, consumes } = setUp();
  const station = join('station', 'station', 'Hội trường Sở');
  const chair = join('chair', 'chair', 'Chủ trì');
  const dabac = join('site:s-dabac', 'site', 'UBND xã Đà Bắc', 's-dabac');
  const tanlac = join('site:s-tanlac', 'site', 'Trường THCS Tân Lạc', 's-tanlac');

  t.same(await consumes('site:s-dabac'), [], 'before the session a site receives nothing');
  t.same(await consumes('chair'), [
    'site:s-dabac/camera',
    'site:s-tanlac/camera',
    'station/camera',
  ]);

  await handlers.startSession(chair.p, {});
  t.same(lifecycle, ['started by chair'], 'the start is saved once');
  t.same(
    await consumes('site:s-dabac'),
    ['station/camera', 'station/microphone'],
    'live: each site gets the main point',
  );
  t.same(await consumes('station'), ['site:s-dabac/microphone', 'site:s-tanlac/microphone']);

  // Đà Bắc raises its hand; in the same tick the chair gives it the floor and Tân Lạc raises.
  await Promise.all([
    handlers.raiseHand(dabac.p, {}),
    handlers.grantFloor(chair.p, { siteId: 's-dabac' }),
    handlers.raiseHand(tanlac.p, {}),
  ]);
  t.equal(session.state.floorSiteId, 's-dabac');
  t.same(session.state.handQueue, ['s-tanlac'], 'the speaker’s hand went down; Tân Lạc waits');
  t.same(
    await consumes('site:s-tanlac'),
    ['site:s-dabac/camera', 'site:s-dabac/microphone', 'station/camera', 'station/microphone'],
    'the other site sees and hears the site with the floor',
  );
  t.same(await consumes('station'), [
    'site:s-dabac/camera',
    'site:s-dabac/microphone',
    'site:s-tanlac/microphone',
  ]);
  t.ok(
    tanlac.socket.heard('floorGranted').some((e) => (e as { siteId: string }).siteId === 's-dabac'),
    'the sites are told who speaks',
  );

  // The floor moves to Tân Lạc and the chair mutes Đà Bắc in the same tick.
  await Promise.all([
    handlers.grantFloor(chair.p, { siteId: 's-tanlac' }),
    handlers.muteSite(chair.p, { siteId: 's-dabac' }),
  ]);
  t.equal(session.state.floorSiteId, 's-tanlac');
  t.same(
    await consumes('site:s-dabac'),
    ['site:s-tanlac/camera', 'site:s-tanlac/microphone', 'station/camera', 'station/microphone'],
    'Đà Bắc no longer has the floor and now receives Tân Lạc',
  );
  const dabacMic = dabac.p.media!.producers.get('site:s-dabac/microphone')!;
  t.ok(dabacMic.paused, "the chair's mute pauses the site's microphone on the server");
  t.same(dabac.socket.heard('mutedByChair'), [{ muted: true }], 'and the site is told');
  t.ok(
    station.socket
      .heard('floorRevoked')
      .some((e) => (e as { siteId: string }).siteId === 's-dabac'),
  );

  // A site's own unmute does not undo the chair's.
  await t.rejects(handlers.resumeProducer(dabac.p, { producerId: dabacMic.id }), {
    code: 'forbidden',
  });
  t.ok(dabacMic.paused, 'still muted');

  // Tân Lạc's page goes away while it holds the floor: its media goes, the floor stays its own.
  session.detach(tanlac.p, tanlac.socket as unknown as Socket, 'transport close');
  t.notOk(tanlac.p.online, 'offline at once');
  t.equal(
    session.state.floorSiteId,
    's-tanlac',
    'the floor is the chair’s to move, not the network’s',
  );

  await handlers.revokeFloor(chair.p, {});
  t.equal(session.state.floorSiteId, undefined);
  t.same(await consumes('site:s-dabac'), ['station/camera', 'station/microphone']);
  t.ok(saved.length > 0, 'the chair’s state is saved as it changes');

  await handlers.endSession(chair.p, {});
  t.same(lifecycle.slice(0, 2), ['started by chair', 'end by chair']);
  t.same(await consumes('site:s-dabac'), [], 'ended: nothing is sent');
  session.close('test done');
  t.ok(room.isClosed, 'closing the session closes its room');
  t.equal(session.participant('station'), undefined, 'and forgets its endpoints');
  t.notOk(chair.socket.connected, 'and disconnects the pages');
});

t.test('bad requests from the chair are refused and change nothing', async (t) => {
  const { session, handlers, join } = setUp();
  const chair = join('chair', 'chair', 'Chủ trì');
  const site = join('site:s-dabac', 'site', 'UBND xã Đà Bắc', 's-dabac');
  await handlers.startSession(chair.p, {});
  await t.rejects(handlers.grantFloor(chair.p, { siteId: 's-unknown' }), { code: 'not_found' });
  t.equal(session.state.floorSiteId, undefined, 'no floor for a site not in the meeting');
  await t.rejects(handlers.startItCall(chair.p, { siteId: 's-tanlac' }), { code: 'not_found' });
  await t.rejects(handlers.raiseHand(chair.p, {}), { code: 'forbidden' });
  await handlers.grantFloor(chair.p, { siteId: 's-dabac' });
  await handlers.grantFloor(chair.p, { siteId: 's-dabac' });
  t.equal(session.state.floorSiteId, 's-dabac', 'granting twice is the same floor');
  t.equal(
    site.socket.heard('floorGranted').length,
    1,
    'told once: a repeated grant is not a new event',
  );
  session.close('test done');
});
