import t from 'tap';
import { ceilingLayer } from '../../media/LayerGuard.js';
import {
  MAX_START_BPS,
  MIN_START_BPS,
  receiveCeilingBps,
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

t.test("a thin site's video starts at the layers its measured line holds", async (t) => {
  // The main point's three layers as the page sends them (web/client/LocalTracks.ts).
  const layers = [{ maxBitrate: 150_000 }, { maxBitrate: 500_000 }, { maxBitrate: 1_200_000 }];
  const about = (kbps: number) =>
    receiveCeilingBps({ kbps, bound: 'about', method: 'loopback', confidence: 'medium' });
  t.equal(ceilingLayer(layers, about(347)), 0, 'a 400 kbit/s school: 180p');
  t.equal(ceilingLayer(layers, about(900)), 1, 'a 1 Mbit/s school: 360p');
  t.equal(ceilingLayer(layers, about(2000)), 2, 'a 2 Mbit/s school: 720p');
  t.equal(ceilingLayer(layers, about(120)), 0, 'below every layer: still the lowest');
  t.equal(
    receiveCeilingBps({ kbps: 900, bound: 'at-least', method: 'loopback', confidence: 'high' }),
    undefined,
    'the line carried all the check sent: no ceiling',
  );
  t.equal(receiveCeilingBps(undefined), undefined, 'never checked: no ceiling');
  t.equal(
    receiveCeilingBps({ kbps: 380, bound: 'about', method: 'loopback', confidence: 'low' }),
    undefined,
    'a low-confidence figure sets no ceiling',
  );
  t.equal(ceilingLayer([{}, {}, {}], 300_000), undefined, 'layers without a maximum: no ceiling');
  t.equal(
    ceilingLayer([{ maxBitrate: 1_500_000 }], 300_000),
    undefined,
    'one layer: nothing to pick',
  );
});
