import t from 'tap';
import {
  MAX_START_BPS,
  MIN_START_BPS,
  receiveStartBps,
  UNKNOWN_START_BPS,
} from '../../signaling/session/receiveStart.js';

t.test("a site's receive estimate starts near what its last check measured", async (t) => {
  t.equal(receiveStartBps(undefined), UNKNOWN_START_BPS, 'never checked: the cautious start');
  t.equal(
    receiveStartBps({ method: 'none', confidence: 'low' }),
    UNKNOWN_START_BPS,
    'not measured: the cautious start',
  );
  t.equal(
    receiveStartBps({ kbps: 380, bound: 'about', method: 'loopback', confidence: 'medium' }),
    266_000,
    'a 400 kbit/s school: below what its link carried, so the 180p layer comes first',
  );
  t.equal(
    receiveStartBps({ kbps: 900, bound: 'at-least', method: 'loopback', confidence: 'high' }),
    900_000,
    'the link carried all the check sent: start there',
  );
  t.equal(
    receiveStartBps({ kbps: 5000, bound: 'at-least', method: 'loopback', confidence: 'high' }),
    MAX_START_BPS,
    'never above the three layers',
  );
  t.equal(
    receiveStartBps({ kbps: 100, bound: 'about', method: 'loopback', confidence: 'medium' }),
    MIN_START_BPS,
    'never below the 180p layer with its audio',
  );
  t.equal(
    receiveStartBps({ kbps: 380, bound: 'about', method: 'loopback', confidence: 'low' }),
    UNKNOWN_START_BPS,
    'a low-confidence figure is not trusted',
  );
});
