import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { RecordingFolder } from '../../broadcast/RecordingFolder.js';
import { tempDir } from '../helpers/browser.js';

t.test('recordings on disk: listing, safe paths, retention', async (t) => {
  const root = tempDir(t, 'diemcau-rec-');
  const folder = new RecordingFolder(root);
  const dir = folder.dirFor('m1');
  const now = Date.now();
  writeFileSync(join(dir, 'programme-20260101T000000Z-000.mp4'), Buffer.alloc(1000));
  await folder.segmentClosed({
    path: join(dir, 'programme-20260101T000000Z-000.mp4'),
    startedAt: now - 60_000,
    durationMs: 59_500,
  });
  writeFileSync(join(dir, 'programme-20260101T000100Z-000.mp4'), Buffer.alloc(500));
  writeFileSync(join(dir, 'notes.txt'), 'not a segment');

  const listed = await folder.list('m1');
  t.equal(listed.length, 2, 'only segments are listed');
  t.match(listed[0], { bytes: 1000, durationMs: 59_500, startedAt: now - 60_000 });
  t.notOk(
    'durationMs' in listed[1]!,
    'a segment without its note (cut by a crash) has no duration',
  );
  t.same(await folder.list('nobody'), [], 'a meeting without recordings lists nothing');

  t.ok(folder.pathOf('m1', 'programme-20260101T000000Z-000.mp4'));
  t.equal(folder.pathOf('m1', '../../etc/passwd'), undefined, 'no path outside the folder');
  t.equal(folder.pathOf('m1', 'notes.txt'), undefined, 'only segment names');

  mkdirSync(join(root, 'm2'));
  const old = join(root, 'm2', 'programme-20250101T000000Z-000.mp4');
  writeFileSync(old, 'x');
  writeFileSync(`${old}.json`, '{}');
  const tenDaysAgo = (now - 10 * 86_400_000) / 1000;
  utimesSync(old, tenDaysAgo, tenDaysAgo);
  t.equal(await folder.sweep(30, now), 0, 'kept within the retention');
  t.equal(await folder.sweep(7, now), 1, 'older than the retention: deleted');
  t.same(await folder.list('m2'), []);
  t.equal((await folder.list('m1')).length, 2, 'recent recordings stay');
});
