/**
 * CPU cost of one programme: the composer (broadcast/composer.py) decoding two VP8 camera inputs
 * and one Opus input, composing with the banner and lower third, encoding H.264 + AAC and writing
 * MP4 segments, pinned to one core. The inputs (a 720p and a 360p VP8 camera, Opus) are generated
 * by GStreamer on the other core.
 *
 *   npx tsx scripts/bench/programme.ts            # 720p30 and 1080p30 at the configured preset
 *   PROGRAMME_PRESET=ultrafast npx tsx scripts/bench/programme.ts
 *
 * Prints the composer's CPU (user + system, all threads) as a share of one core.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { ProgrammeEncoder } from '../../broadcast/ProgrammeEncoder.js';
import { freeUdpPort } from '../../broadcast/ProgrammeFeed.js';
import { loadConfig } from '../../config/index.js';

const MEASURE_S = Number(process.env.BENCH_SECONDS ?? 20);
const WARMUP_S = 5;
const COMPOSER_CORE = process.env.BENCH_CORE ?? '0';
const INPUT_CORE = process.env.BENCH_INPUT_CORE ?? '1';
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat; index 11 and 12 after the command name.
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** The main point's 720p camera and a site's 360p one, as the SFU would forward them. */
function inputs(ports: number[]): ChildProcess {
  const camera = (port: number, pattern: string, width: number, height: number) =>
    `videotestsrc is-live=true pattern=${pattern} horizontal-speed=3 ! video/x-raw,width=${width},height=${height},framerate=30/1 ` +
    `! vp8enc deadline=1 cpu-used=8 target-bitrate=2500000 keyframe-max-dist=60 ! rtpvp8pay pt=96 ! udpsink host=127.0.0.1 port=${port}`;
  const pipeline = [
    camera(ports[0]!, 'smpte', 1280, 720),
    camera(ports[1]!, 'ball', 640, 360),
    `audiotestsrc is-live=true wave=sine ! audio/x-raw,rate=48000,channels=2 ! opusenc ! rtpopuspay pt=100 ! udpsink host=127.0.0.1 port=${ports[2]}`,
  ].join(' ');
  return spawn('taskset', ['-c', INPUT_CORE, 'gst-launch-1.0', '-q', ...pipeline.split(' ')], {
    stdio: 'ignore',
  });
}

async function measure(
  label: string,
  width: number,
  height: number,
  videoKbps: number,
  idle = false,
) {
  const config = loadConfig({ env: process.env });
  const settings = { ...config.broadcast, width, height, fps: 30, videoKbps };
  const dir = mkdtempSync(join(tmpdir(), 'diemcau-bench-programme-'));
  const ports = [await freeUdpPort(), await freeUdpPort(), await freeUdpPort()];
  const encoder = new ProgrammeEncoder({
    settings,
    logger: pino({ level: 'warn' }),
    strip: 'HỘI NGHỊ GIAO BAN TRỰC TUYẾN NGÀNH GIÁO DỤC',
    lower: '2. Phát biểu của Giám đốc Sở GD&ĐT\nPhòng GD&ĐT Lạc Sơn',
  });
  if (!idle)
    encoder.addOutput({ id: 'rec', kind: 'record', dir, stem: 'bench', run: 1, startIndex: 0 });
  const started = new Promise<{ pid: number }>((ok) => encoder.once('started', ok));
  const { pid } = await started;
  execFileSync('taskset', ['-a', '-p', '-c', COMPOSER_CORE, String(pid)], { stdio: 'ignore' });
  const source = inputs(ports);
  encoder.addInput({
    id: 'main',
    kind: 'video',
    port: ports[0]!,
    payloadType: 96,
    codec: 'VP8',
    clockRate: 90000,
  });
  encoder.addInput({
    id: 'floor',
    kind: 'video',
    port: ports[1]!,
    payloadType: 96,
    codec: 'VP8',
    clockRate: 90000,
  });
  encoder.addInput({
    id: 'mic',
    kind: 'audio',
    port: ports[2]!,
    payloadType: 100,
    codec: 'opus',
    clockRate: 48000,
  });
  encoder.show('main', 'main');
  await sleep(WARMUP_S * 1000);
  // Threads created since (decoders of the inputs) join the pinned core too.
  execFileSync('taskset', ['-a', '-p', '-c', COMPOSER_CORE, String(pid)], { stdio: 'ignore' });
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  await sleep((MEASURE_S / 2) * 1000);
  encoder.show('floor', 'main');
  await sleep((MEASURE_S / 2) * 1000);
  const cpu = cpuSeconds(pid) - cpu0;
  const wall = (performance.now() - t0) / 1000;
  source.kill('SIGINT');
  await encoder.close();
  const files = readdirSync(dir).filter((f) => f.endsWith('.mp4'));
  const bytes = files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  // Frames the composer really produced: below 30 fps the core (or the inputs) did not keep up.
  let frames = 0;
  for (const f of files) {
    try {
      frames += Number(
        execFileSync('ffprobe', [
          '-v',
          'error',
          '-select_streams',
          'v:0',
          '-count_packets',
          '-show_entries',
          'stream=nb_read_packets',
          '-of',
          'csv=p=0',
          join(dir, f),
        ])
          .toString()
          .trim(),
      );
    } catch {
      frames = Number.NaN;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(
    `${label.padEnd(12)} preset ${settings.preset.padEnd(9)} ${String(videoKbps).padStart(5)} kbps: ` +
      `composer ${((cpu / wall) * 100).toFixed(0).padStart(3)} % of one core ` +
      `(${cpu.toFixed(1)} s CPU in ${wall.toFixed(1)} s), output ${((bytes * 8) / 1000 / (MEASURE_S + WARMUP_S)).toFixed(0)} kbps ` +
      `at ${(frames / (MEASURE_S + WARMUP_S)).toFixed(1)} fps, load ${load}`,
  );
}

console.log(
  `programme bench: composer on core ${COMPOSER_CORE}, inputs (2 × VP8 + Opus) on core ${INPUT_CORE}, ${MEASURE_S} s each`,
);
// The session's composer between outputs: decoding and composing, the encoder's valve closed.
await measure('720p30 idle', 1280, 720, Number(process.env.BENCH_720_KBPS ?? 2500), true);
await measure('720p30', 1280, 720, Number(process.env.BENCH_720_KBPS ?? 2500));
await measure('1080p30', 1920, 1080, Number(process.env.BENCH_1080_KBPS ?? 4500));
