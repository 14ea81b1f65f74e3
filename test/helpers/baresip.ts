import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'tap';
import { BaresipControl, roomMediaArgs, spawnBaresip } from '../../scripts/bench/baresip.js';
import { artifactPath, tempDir, waitFor } from './browser.js';
import { freePort } from './ports.js';

const run = promisify(execFile);

/** The mean colour of a picture's centre quarter (one PNG: ffmpeg's fps filter would drop it). */
export async function centreColour(png: string): Promise<[number, number, number] | undefined> {
  const { stdout } = await run(
    'ffmpeg',
    [
      ...['-v', 'error', '-i', png, '-vf', 'crop=iw/2:ih/2,scale=1:1:flags=area'],
      ...['-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    ],
    { encoding: 'buffer' },
  );
  return stdout.length >= 3 ? [stdout[0]!, stdout[1]!, stdout[2]!] : undefined;
}

export interface Baresip {
  dir: string;
  control: BaresipControl;
  /** The last 20 kB it wrote (without its once-a-tick status line). */
  output(): string;
}

/**
 * A hall's room system played by baresip: a 320×240 15 fps video file as its camera (H.264
 * through avcodec), a 440 Hz tone as its microphone (G.722), its output kept in an artifact.
 */
export async function startBaresip(
  t: Test,
  o: {
    /** Its SIP address: 127.0.0.1:0 lets it pick (TLS takes the next port otherwise). */
    listen: string;
    /** Its one accounts line. */
    account: string;
    /** The artifact its output is kept in. */
    logName: string;
  },
): Promise<Baresip> {
  const dir = tempDir(t, 'diemcau-baresip-');
  const ctrlPort = await freePort();
  const camera = join(dir, 'camera.mp4');
  const microphone = join(dir, 'tone.wav');
  const args = roomMediaArgs(camera, microphone, { size: '320x240', fps: 15, seconds: 120 });
  await run('ffmpeg', args.camera);
  await run('ffmpeg', args.tone);
  const child = spawnBaresip(dir, { ...o, camera, microphone, ctrlPort });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    // Without its once-a-tick status line, which would push everything else out.
    const text = d.toString().replace(/\[\d+:\d\d:\d\d\] audio=[^\r\n]*\r?/g, '');
    output = (output + text).slice(-20_000);
  });
  child.stderr?.on('data', (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  });
  t.teardown(() => {
    child.kill('SIGKILL');
    writeFileSync(artifactPath(o.logName), output);
  });
  const control = (await waitFor(
    () => BaresipControl.open(ctrlPort).catch(() => undefined),
    10_000,
    'baresip control port',
  ))!;
  t.teardown(() => control.close());
  return { dir, control, output: () => output };
}

/** Asks baresip for snapshots of what it receives until one decodes; its centre colour. */
export async function receivedColour(b: Baresip, ms: number): Promise<[number, number, number]> {
  const png = join(b.dir, 'programme.png');
  return (await waitFor(
    async () => {
      b.control.send('snapshot_recv', png);
      await new Promise((r) => setTimeout(r, 700));
      if (!existsSync(png)) return false;
      return (await centreColour(png)) ?? false;
    },
    ms,
    'a decoded snapshot of the programme',
    500,
  )) as [number, number, number];
}
