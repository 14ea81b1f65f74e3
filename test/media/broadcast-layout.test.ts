import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pino from 'pino';
import t from 'tap';
import { ProgrammeEncoder } from '../../broadcast/ProgrammeEncoder.js';
import { freeUdpPort } from '../../broadcast/ProgrammeFeed.js';
import { loadConfig } from '../../config/index.js';
import { artifactPath, tempDir, within } from '../helpers/browser.js';

// The broadcast layout of the real composer at 720p, read back from a recorded frame: the camera
// full frame, the meeting's name as a compact strip, agenda item and speaker as a lower third.
const run = promisify(execFile);
const W = 1280;
const H = 720;
const CAMERA = [0x10, 0xa0, 0x30];

/** A solid-colour VP8 camera as the SFU would forward it. */
function camera(port: number): ChildProcess {
  const hex = `0xff${CAMERA.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
  const pipeline =
    `videotestsrc is-live=true pattern=solid-color foreground-color=${hex} ` +
    '! video/x-raw,width=640,height=360,framerate=15/1 ! vp8enc deadline=1 cpu-used=8 keyframe-max-dist=15 ' +
    `! rtpvp8pay pt=96 ! udpsink host=127.0.0.1 port=${port}`;
  return spawn('gst-launch-1.0', ['-q', ...pipeline.split(' ')], { stdio: 'ignore' });
}

t.test('layout: camera full frame, a compact strip, a lower third within 15 %', async (t) => {
  t.setTimeout(60_000);
  const dir = tempDir(t, 'diemcau-layout-');
  const config = loadConfig({ env: {} });
  const encoder = new ProgrammeEncoder({
    settings: { ...config.broadcast, width: W, height: H, fps: 15, preset: 'ultrafast' },
    logger: pino({ level: 'warn' }),
    strip:
      'HỘI NGHỊ TỔNG KẾT NĂM HỌC 2025–2026 VÀ TRIỂN KHAI NHIỆM VỤ NĂM HỌC MỚI CỦA SỞ GIÁO DỤC VÀ ĐÀO TẠO TỈNH HÒA BÌNH',
    lower: '2. Báo cáo của các Phòng GD&ĐT\nPhòng GD&ĐT Lạc Sơn',
  });
  t.teardown(() => encoder.close());
  const port = await freeUdpPort();
  const source = camera(port);
  t.teardown(() => void source.kill('SIGKILL'));
  await within(new Promise((ok) => encoder.once('started', ok)), 20_000, 'the composer playing');
  encoder.addInput({
    id: 'cam',
    kind: 'video',
    port,
    payloadType: 96,
    codec: 'VP8',
    clockRate: 90000,
  });
  encoder.show('cam', 'cam');
  await within(
    new Promise<void>((ok) => {
      const seen = (d: { id?: string }) => {
        if (d.id !== 'cam') return;
        encoder.off('displayed', seen);
        ok();
      };
      encoder.on('displayed', seen);
    }),
    15_000,
    'the camera on screen',
  );
  encoder.addOutput({ id: 'rec', kind: 'record', dir, stem: 'layout', run: 1, startIndex: 0 });
  await sleep(3000);
  await within(encoder.removeOutput('rec'), 15_000, 'the recording stopped');
  const file = join(dir, readdirSync(dir).find((f) => f.endsWith('.mp4'))!);
  t.match(file, /layout-000001-000\.mp4$/, 'named by run and segment number');
  const png = artifactPath('broadcast-layout-720p.png');
  await run('ffmpeg', ['-v', 'error', '-ss', '2', '-i', file, '-frames:v', '1', '-y', png], {
    timeout: 30_000,
  });
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-i', png, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    { encoding: 'buffer', maxBuffer: 1 << 24, timeout: 30_000 },
  );
  const at = (x: number, y: number) => [...stdout.subarray((y * W + x) * 3, (y * W + x) * 3 + 3)];
  const isCamera = (p: number[]) => p.every((c, i) => Math.abs(c - CAMERA[i]!) < 40);
  const isText = (p: number[]) => p.every((c) => c > 190);
  const rowCovered = (y: number) => {
    for (let x = 0; x < W; x += 2) if (!isCamera(at(x, y))) return true;
    return false;
  };
  const covered = Array.from({ length: H }, (_, y) => rowCovered(y));
  // The strip: the covered rows in the top half; the lower third: those in the bottom half.
  const topEnd = covered.slice(0, H / 2).lastIndexOf(true) + 1;
  const bottomStart = H / 2 + covered.slice(H / 2).indexOf(true);
  t.ok(topEnd > 0 && topEnd <= H * 0.08, `the strip ends at row ${topEnd} (≤ 8 % of ${H})`);
  t.ok(
    bottomStart < H && H - bottomStart <= H * 0.15,
    `the lower third starts at row ${bottomStart}: ${H - bottomStart} px (≤ 15 %)`,
  );
  t.notOk(
    covered.slice(topEnd, bottomStart).some(Boolean),
    'between them, the camera full frame and nothing else',
  );
  t.ok(isCamera(at(W - 10, H / 2)) && isCamera(at(10, H / 2)), 'edge to edge');
  // Legible: the tallest run of rows holding white text, per block.
  const textHeight = (from: number, to: number) => {
    let best = 0;
    let runLength = 0;
    for (let y = from; y < to; y++) {
      let text = false;
      for (let x = 0; x < W && !text; x += 1) text = isText(at(x, y));
      runLength = text ? runLength + 1 : 0;
      best = Math.max(best, runLength);
    }
    return best;
  };
  const strip = textHeight(0, topEnd);
  const lower = textHeight(bottomStart, H);
  t.ok(strip >= 14, `the strip's letters are ${strip} px tall (≥ 14 px at 720p)`);
  t.ok(lower >= 16, `the lower third's letters are ${lower} px tall (≥ 16 px at 720p)`);
  t.comment(`layout at ${W}×${H}: strip 0–${topEnd}, lower third ${bottomStart}–${H}`);
});
