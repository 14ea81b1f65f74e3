import t from 'tap';
import { ComposerHeartbeat } from '../../broadcast/ComposerHeartbeat.js';

t.test('a stall is silence first, then no picture, then no sound', async (t) => {
  const hb = new ComposerHeartbeat();
  hb.heard(0);
  hb.reset(0);
  hb.beat({ video: 10, audio: 50, fed: true, outputs: { rec: 1 } }, 0);
  t.equal(hb.stall(1000, 500), undefined, 'fresh: no stall');
  t.same(hb.stall(1000, 1500), { why: 'silent', ms: 1500 }, 'nothing heard: silent');
  hb.heard(1500);
  t.same(
    hb.stall(1000, 1500),
    { why: 'no frames', ms: 1500, outputs: { rec: 1 } },
    'beats with standing frame counts: no frames',
  );
  hb.beat({ video: 11, audio: 50, fed: true }, 1500);
  t.equal(hb.stall(1000, 1500)?.why, 'no sound', 'the picture moves, the sound does not');
  hb.beat({ video: 11, audio: 51, fed: false }, 1600);
  t.equal(hb.stall(1000, 1600), undefined, 'an unfed encoder idles on purpose');
});
