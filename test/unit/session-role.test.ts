import t from 'tap';
import type { MeetingNodes } from '../../signaling/session/MeetingNodes.js';
import { SessionRole } from '../../signaling/session/SessionRole.js';

/* Solo, owner, edge: the one object that tells them apart decides who decides. */

const peers = (ownerNodeId?: string): MeetingNodes => ({
  ...(ownerNodeId ? { ownerNodeId } : {}),
  publishRoster: () => {},
  publishChair: () => {},
  forward: async () => undefined,
  fetch: async () => {
    throw new Error('not here');
  },
});

t.test('a single node decides alone and tells nobody', async (t) => {
  const role = SessionRole.of(undefined);
  t.equal(role.kind, 'solo');
  t.ok(role.decides);
  t.notOk(role.publishesChair);
  t.equal(role.ownerNodeId, undefined);
  t.ok(role.servesFor(undefined), 'a placement here as owner finds it');
  t.notOk(role.servesFor('node-a'), 'a placement as an edge of node-a does not');
});

t.test('the owner decides and tells the edges', async (t) => {
  const role = SessionRole.of(peers());
  t.equal(role.kind, 'owner');
  t.ok(role.decides);
  t.ok(role.publishesChair);
  t.equal(role.ownerNodeId, undefined);
  t.ok(role.servesFor(undefined));
});

t.test('an edge follows its owner', async (t) => {
  const role = SessionRole.of(peers('node-a'));
  t.equal(role.kind, 'edge');
  t.notOk(role.decides);
  t.notOk(role.publishesChair);
  t.equal(role.ownerNodeId, 'node-a');
  t.ok(role.servesFor('node-a'));
  t.notOk(role.servesFor('node-b'), 'the owner moved: the session must be reopened');
  t.notOk(role.servesFor(undefined), 'the meeting came here: the edge is not the owner');
});
