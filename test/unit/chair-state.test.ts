import t from 'tap';
import { ChairState } from '../../signaling/session/ChairState.js';

const make = (agendaLength = 3) =>
  new ChairState({ siteIds: ['a', 'b', 'c'], agendaLength, now: () => 1_000 });

t.test('the floor needs a live session and moves from site to site', async (t) => {
  const s = make();
  t.throws(() => s.grantFloor('a'), { code: 'conflict' }, 'not before the session starts');
  t.same(s.start(), { media: true }, 'going live reconciles media');
  t.equal(s.view('m').agendaIndex, 0, 'the agenda starts at its first item');
  t.same(s.grantFloor('a'), { media: true, floorGranted: 'a' });
  t.same(s.grantFloor('a'), { media: false }, 'granting again changes nothing');
  t.same(s.grantFloor('b'), { media: true, floorGranted: 'b', floorRevoked: 'a' });
  t.throws(() => s.grantFloor('zz'), { code: 'not_found' }, 'only sites of the meeting');
  t.same(s.revokeFloor(), { media: true, floorRevoked: 'b' });
  t.same(s.revokeFloor(), { media: false });
});

t.test('a site given the floor is unmuted and its hand lowered', async (t) => {
  const s = make();
  s.start();
  s.raiseHand('c');
  t.same(s.mute(), { media: false, muted: ['a', 'b', 'c'] }, 'mute all mutes every site');
  t.same(s.mute('a'), { media: false, muted: [] }, 'muting a muted site is nothing new');
  const change = s.grantFloor('c');
  t.same(change.unmuted, ['c']);
  t.notOk(s.hasHandRaised('c'));
  t.ok(s.isMuted('a'));
  t.same(s.unmute('a'), { media: false, unmuted: ['a'] });
  t.same(s.unmute('a'), { media: false });
});

t.test('the hand queue is ordered by time', async (t) => {
  let now = 0;
  const s = new ChairState({ siteIds: ['a', 'b', 'c'], agendaLength: 0, now: () => now++ });
  s.raiseHand('b');
  s.raiseHand('a');
  s.raiseHand('b');
  t.same(s.handQueue, ['b', 'a'], 'a second raise keeps the first place');
  s.lowerHand('b');
  t.same(s.handQueue, ['a']);
});

t.test('going live ends IT call unless the chair keeps it', async (t) => {
  const s = make();
  t.same(s.startItCall('a'), { media: true, itCall: { to: 'a' } });
  t.same(s.start().itCall, { from: 'a' }, 'the call ends with a reason the chair sees');
  t.equal(s.itCall, undefined);
  t.throws(() => s.startItCall('b'), { code: 'conflict' }, 'no new IT call during the session');

  const kept = make();
  kept.startItCall('b');
  t.equal(kept.start({ keepItCall: true }).itCall, undefined);
  t.equal(kept.itCall, 'b', 'kept on request');
});

t.test('agenda bounds and edits', async (t) => {
  const s = make(3);
  s.start();
  t.throws(() => s.setAgendaItem(3), { code: 'bad_request' });
  s.setAgendaItem(2);
  s.setAgendaLength(2);
  t.equal(s.view('m').agendaIndex, 1, 'a shortened agenda keeps the position inside it');
});

t.test('removing a site drops its floor, hand, mute and call', async (t) => {
  const s = make();
  s.startItCall('c');
  s.start({ keepItCall: true });
  s.grantFloor('a');
  s.raiseHand('b');
  s.mute('b');
  const change = s.setSites(['c']);
  t.same(change.floorRevoked, 'a');
  t.same(s.handQueue, []);
  t.notOk(s.isMuted('b'));
  t.equal(s.itCall, 'c', 'a remaining site keeps its call');
  t.same(s.setSites([]).itCall, { from: 'c' });
});

t.test('end clears the floor and the call; a snapshot restores the rest', async (t) => {
  const s = make();
  s.start();
  s.setAgendaItem(1);
  s.grantFloor('b');
  s.mute('a');
  const restored = new ChairState({ siteIds: ['a', 'b'], agendaLength: 3, snapshot: s.snapshot() });
  t.same(restored.view('m'), s.view('m'), 'an idle-closed session resumes where it was');
  t.ok(restored.isMuted('a'));
  const ended = s.end();
  t.same(ended, { media: true, floorRevoked: 'b' });
  t.equal(s.current, 'ended');
  t.throws(() => s.start(), { code: 'conflict' });
  t.same(s.end(), { media: false });
});
