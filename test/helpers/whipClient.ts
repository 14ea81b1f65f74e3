import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';

/** libgupnp-igd stand-in (see gupnp-igd-stub.c), built once per machine. */
function stubLibDir(): string {
  const dir = join(tmpdir(), 'diemcau-whip-client-lib');
  const lib = join(dir, 'libgupnp-igd-1.0.so.4');
  if (!existsSync(lib)) {
    mkdirSync(dir, { recursive: true });
    const src = join(dirname(fileURLToPath(import.meta.url)), 'gupnp-igd-stub.c');
    execFileSync('gcc', ['-shared', '-fPIC', '-Wl,-soname,libgupnp-igd-1.0.so.4', '-o', lib, src]);
  }
  return dir;
}

export interface WhipClient {
  child: ChildProcess;
  output(): string;
  /** SIGINT: the client sends DELETE, then exits. */
  stop(): Promise<number | null>;
}

/** Colour as videotestsrc's foreground-color (0xAARRGGBB). */
export function argb(hex: string): string {
  return `0xff${hex.replace('#', '')}`;
}

/**
 * Debian's simple-whip-client (GStreamer: x264 constrained baseline + Opus) publishing a flat
 * colour picture; `trickle: false` puts the candidates in the offer (-n).
 */
export function startWhipClient(
  t: Test,
  o: {
    url: string;
    token: string;
    colour: string;
    trickle: boolean;
    width?: number;
    height?: number;
    kbps?: number;
    /** videotestsrc's pattern instead of the flat colour ('snow' fills any bitrate). */
    pattern?: string;
  },
): WhipClient {
  const video =
    `videotestsrc is-live=true ${o.pattern ? `pattern=${o.pattern}` : `pattern=solid-color foreground-color=${argb(o.colour)}`} ! ` +
    `video/x-raw,width=${o.width ?? 320},height=${o.height ?? 180},framerate=15/1 ! ` +
    'videoconvert ! ' +
    `x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 bitrate=${o.kbps ?? 300} ! ` +
    'video/x-h264,profile=constrained-baseline ! rtph264pay config-interval=-1 pt=96 ssrc=2 ! ' +
    'queue ! application/x-rtp,media=video,encoding-name=H264,payload=96';
  const audio =
    'audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample ! queue ! opusenc ! ' +
    'rtpopuspay pt=100 ssrc=1 ! queue ! application/x-rtp,media=audio,encoding-name=OPUS,payload=100';
  const args = ['-u', o.url, '-t', o.token, '-A', audio, '-V', video, '-o', '-l', '4'];
  if (!o.trickle) args.push('-n');
  const child = spawn('whip-client', args, {
    env: { ...process.env, LD_LIBRARY_PATH: stubLibDir() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(kill);
      return code;
    }
    return child.exitCode;
  };
  t.teardown(stop);
  return { child, output: () => out, stop };
}
