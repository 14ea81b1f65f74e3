// runs alone: it times stops, which a second file beside it would skew on 2 cores.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pino from 'pino';
import t from 'tap';
import type { ProgrammeOutput } from '../../broadcast/composerContract.js';
import { ProgrammeEncoder } from '../../broadcast/ProgrammeEncoder.js';
import { freeUdpPort } from '../../broadcast/ProgrammeFeed.js';
import { loadConfig } from '../../config/index.js';
import { tempDir, within } from '../helpers/browser.js';
import { decodeAll, probe } from '../helpers/mediaProbe.js';

// The composer alone (no SFU, no pages): outputs started and stopped in the racy orders a
// meeting produces (all at once, stop in the same tick as the start, stop a fraction of a second
// in), then a recording that must still work. Every stop completes within its bound, the composer
// never restarts, its encoder never stalls, and no unreadable file is left behind.
const run = promisify(execFile);
/** The product's bound on a stop (ProgrammeEncoder stopTimeoutMs defaults to 12 s). */
const STOP_BOUND_MS = 12_000;

t.test(
  'outputs toggled in racy orders: every stop bounded, the composer never stuck',
  async (t) => {
    t.setTimeout(120_000);
    const dir = tempDir(t, 'diemcau-outputs-');
    const config = loadConfig({ env: {} });
    const encoder = new ProgrammeEncoder({
      settings: { ...config.broadcast, width: 640, height: 360, fps: 15, preset: 'ultrafast' },
      logger: pino({ level: 'warn' }),
      strip: 'Hội nghị giao ban',
      lower: 'Khai mạc',
      // Tight, so that a stall would show within this test.
      stallMs: 6000,
    });
    t.teardown(() => encoder.close());
    const crashes: string[] = [];
    const removed: string[] = [];
    encoder.on('outputRemoved', (id) => removed.push(id));
    encoder.on('crashed', (c) => crashes.push(`${c.signal ?? c.code}: ${c.message ?? ''}`));
    const cut: string[] = [];
    encoder.on('segmentCut', ({ path }) => cut.push(path));
    await within(new Promise((ok) => encoder.once('started', ok)), 20_000, 'the composer playing');
    const pid = encoder.pid;
    // An MPEG-TS output needs somewhere to send to (nobody reads it: UDP).
    const tsPort = await freeUdpPort();
    let n = 0;
    let recRun = 0;
    const outputs = {
      record: (): ProgrammeOutput => ({
        id: `rec-${++n}`,
        kind: 'record',
        dir,
        stem: 'race',
        run: ++recRun,
        startIndex: 0,
      }),
      hls: (): ProgrammeOutput => {
        const id = `hls-${++n}`;
        // As LiveProgramme does: the folder exists before the output starts.
        mkdirSync(join(dir, id));
        return { id, kind: 'hls', dir: join(dir, id) };
      },
      mpegts: (): ProgrammeOutput => ({ id: `ts-${++n}`, kind: 'mpegts', port: tsPort }),
    };
    const stops: number[] = [];
    const stop = async (id: string) => {
      const from = Date.now();
      await within(encoder.removeOutput(id), STOP_BOUND_MS + 3000, `output ${id} stopped`);
      stops.push(Date.now() - from);
    };
    const all = () => [outputs.record(), outputs.hls(), outputs.mpegts()];

    // 1. All three in the same tick, stopped together 3 s later.
    let batch = all();
    for (const o of batch) encoder.addOutput(o);
    await sleep(3000);
    await Promise.all(batch.map((o) => stop(o.id)));
    // 2. Stopped in the same tick as started, five times.
    for (let i = 0; i < 5; i++) {
      batch = all();
      for (const o of batch) encoder.addOutput(o);
      await Promise.all(batch.map((o) => stop(o.id)));
    }
    // 3. Stopped 100–700 ms in (before, around and after the first keyframe), five times.
    for (let i = 0; i < 5; i++) {
      batch = all();
      for (const o of batch) encoder.addOutput(o);
      await sleep(100 + i * 150);
      await Promise.all(batch.map((o) => stop(o.id)));
    }
    // 4. A live out going on while recordings start and stop beside it.
    const live = [outputs.hls(), outputs.mpegts()];
    for (const o of live) encoder.addOutput(o);
    for (let i = 0; i < 3; i++) {
      const rec = outputs.record();
      encoder.addOutput(rec);
      await sleep(1200);
      await stop(rec.id);
    }
    // 5. Afterwards a recording still records.
    const last = outputs.record();
    encoder.addOutput(last);
    await sleep(4000);
    await stop(last.id);
    await Promise.all(live.map((o) => stop(o.id)));

    t.comment(`stop latency (ms): ${stops.join(', ')}`);
    t.ok(
      stops.every((ms) => ms <= STOP_BOUND_MS),
      `${stops.length} stops, each within ${STOP_BOUND_MS} ms (max ${Math.max(...stops)} ms)`,
    );
    t.same(crashes, [], 'the composer never crashed, stalled or was restarted');
    t.equal(encoder.pid, pid, 'one composer process throughout');
    t.equal(encoder.stateLosses, 0, 'its pipeline never left PLAYING while outputs came and went');
    t.same(cut, [], 'no segment left open');
    const files = readdirSync(dir).filter((f) => f.endsWith('.mp4'));
    const lengths: string[] = [];
    for (const f of files) {
      const info = await probe(join(dir, f)).catch((err: Error) => ({ error: err.message }));
      if ('error' in info) {
        t.fail(`${f} unreadable: ${info.error}`);
        continue;
      }
      lengths.push(`${f} ${info.durationS.toFixed(2)} s`);
      t.equal((await decodeAll(join(dir, f))).errors, '', `${f} decodes without error`);
    }
    t.comment(`segments: ${lengths.join(', ')}`);
    const lastFile = files.find((f) => f.startsWith(`race-${String(recRun).padStart(6, '0')}-`));
    t.ok(lastFile, 'the last recording wrote its segment');
    if (lastFile) {
      const { durationS } = await probe(join(dir, lastFile));
      t.ok(durationS >= 3, `and it holds ${durationS.toFixed(2)} s of its 4 s`);
    }
    const hls = live[0]!;
    const playlist = readdirSync(join(dir, hls.id));
    t.ok(
      playlist.includes('index.m3u8') && playlist.filter((f) => f.endsWith('.ts')).length >= 2,
      `the live out's HLS beside the recordings wrote ${playlist.filter((f) => f.endsWith('.ts')).length} segments`,
    );
    // Nothing of the composer is left running once it is closed.
    await within(encoder.close(), 15_000, 'the composer closed');
    const alive = await run('ps', ['-o', 'pid=', '-p', String(pid)]).then(
      () => true,
      () => false,
    );
    t.notOk(alive, 'its process is gone');
  },
);
