import t from 'tap';
import { wants } from '../../signaling/mediaRules.js';

const station = { role: 'station' as const };
const chair = { role: 'chair' as const };
const site1 = { role: 'site' as const, siteId: 's1' };
const site2 = { role: 'site' as const, siteId: 's2' };
const live = { status: 'live' as const };

t.test('the main point reaches every site once live, not while waiting', async (t) => {
  t.same(wants(site1, station, 'camera', live), { spatialLayer: 2 });
  t.ok(wants(site1, station, 'microphone', live));
  t.ok(wants(site1, station, 'screen', live));
  t.notOk(wants(site1, station, 'camera', { status: 'waiting' }));
  t.notOk(wants(chair, station, 'microphone', live), 'no hall audio on the control page (echo)');
});

t.test('a site goes to the main point only until it has the floor', async (t) => {
  t.same(
    wants(chair, site2, 'camera', live),
    { spatialLayer: 0 },
    'grid thumbnail at the low layer',
  );
  t.ok(wants(station, site2, 'microphone', live));
  t.notOk(wants(station, site2, 'camera', live));
  t.notOk(wants(site1, site2, 'camera', live));
  t.notOk(wants(site1, site2, 'microphone', live));
  const floor = { status: 'live' as const, floorSiteId: 's2' };
  t.same(wants(site1, site2, 'camera', floor), { spatialLayer: 2 });
  t.ok(wants(site1, site2, 'microphone', floor));
  t.ok(wants(station, site2, 'camera', floor));
  t.notOk(wants(site2, site2, 'camera', floor), 'never back to itself');
});

t.test('nothing flows once ended', async (t) => {
  t.notOk(wants(site1, station, 'camera', { status: 'ended' }));
});
