import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
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

  // Runs are numbered from the folder and from what was handed out, never from the clock.
  t.equal(await folder.nextRun('m1'), 1, 'no numbered run yet: run 1');
  t.equal(await folder.nextRun('m1'), 2, 'run 1 handed out (its file not open yet): run 2');
  writeFileSync(join(dir, 'programme-000007-000.mp4'), Buffer.alloc(10));
  t.equal(await folder.nextRun('m1'), 8, 'above the highest run on disk');
  t.equal(await new RecordingFolder(root).nextRun('m1'), 8, 'after a restart too');
  rmSync(join(dir, 'programme-000007-000.mp4'));

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

t.test('a segment cut by a crash: kept once it has its index, removed before', async (t) => {
  const root = tempDir(t, 'diemcau-rec-cut-');
  const folder = new RecordingFolder(root);
  const dir = folder.dirFor('m1');
  const box = (type: string, body: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(8 + body.length, 0);
    head.write(type, 4, 'latin1');
    return Buffer.concat([head, body]);
  };
  const open = (type: string) => {
    // An mdat still being written: size 0 runs to the end of the file.
    const head = Buffer.alloc(8);
    head.write(type, 4, 'latin1');
    return Buffer.concat([head, Buffer.alloc(300)]);
  };
  const ftyp = box('ftyp', Buffer.from('isom\0\0\0\0isomiso2'));
  // What mp4mux writes in its first-moov mode: the first fragment's data, then its moov.
  const played = join(dir, 'programme-000001-000.mp4');
  writeFileSync(
    played,
    Buffer.concat([
      ftyp,
      box('free', Buffer.alloc(0)),
      box('mdat', Buffer.alloc(500)),
      box('moov', Buffer.alloc(40)),
      open('mdat'),
    ]),
  );
  const early = join(dir, 'programme-000002-000.mp4');
  writeFileSync(early, Buffer.concat([ftyp, box('free', Buffer.alloc(0)), open('mdat')]));
  const startedAt = Date.now() - 5000;
  t.equal(
    await folder.segmentCut(played, startedAt),
    true,
    'a moov: it plays to its last fragment, kept',
  );
  t.equal(await folder.segmentCut(early), false, 'no moov yet: nothing playable, removed');
  t.same(
    (await folder.list('m1')).map((s) => s.file),
    ['programme-000001-000.mp4'],
    'only the playable one is listed',
  );
  const [kept] = await folder.list('m1');
  t.equal(kept?.cut, true, 'listed as cut');
  t.ok(
    kept?.durationMs !== undefined && kept.durationMs >= 4000 && kept.durationMs <= 7000,
    `with its length to its last write (${kept?.durationMs} ms), never "still being written"`,
  );
  t.equal(await folder.segmentCut(join(dir, 'gone.mp4')), false, 'a missing file: nothing kept');
});
