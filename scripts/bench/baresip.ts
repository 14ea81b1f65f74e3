import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';

/*
 * baresip (Debian's baresip-core + baresip-ffmpeg) as a hall's room system, for the SIP tests and
 * benchmarks (a test-only tool, so here beside the benchmarks rather than in shipped code): its
 * configuration, its process, and its ctrl_tcp control socket.
 */

/** baresip's ctrl_tcp: netstring-framed JSON commands; its events are kept in order. */
export class BaresipControl {
  private buffer = '';
  readonly events: { type?: string; param?: string }[] = [];
  private constructor(private readonly socket: Socket) {
    socket.on('data', (d) => {
      this.buffer += d.toString();
      for (;;) {
        const colon = this.buffer.indexOf(':');
        if (colon < 0) return;
        const len = Number(this.buffer.slice(0, colon));
        if (this.buffer.length < colon + 1 + len + 1) return;
        const body = this.buffer.slice(colon + 1, colon + 1 + len);
        this.buffer = this.buffer.slice(colon + 2 + len);
        try {
          const msg = JSON.parse(body) as { event?: boolean; type?: string; param?: string };
          if (msg.event) this.events.push(msg);
        } catch {
          // not JSON: ignore
        }
      }
    });
  }

  static open(port: number): Promise<BaresipControl> {
    return new Promise((ok, fail) => {
      const s = connect(port, '127.0.0.1', () => ok(new BaresipControl(s)));
      s.once('error', fail);
    });
  }

  send(command: string, params = ''): void {
    const body = JSON.stringify({ command, params, token: command });
    this.socket.write(`${Buffer.byteLength(body)}:${body},`);
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface BaresipSetup {
  /** Its SIP address: 127.0.0.1:0 lets it pick (TLS takes the next port otherwise). */
  listen: string;
  /** Its one accounts line. */
  account: string;
  /** Its camera: a video file without an audio track. */
  camera: string;
  /** Its microphone: a WAV file. */
  microphone: string;
  ctrlPort: number;
  video?: { width: number; height: number; fps: number; bitrate: number };
}

/**
 * Writes baresip's configuration into `dir` and starts it there (`taskset` CPU list optional).
 * Debian's baresip 1.0.0 aborts (stack smashing in avformat_audio_decode) when its avformat
 * source reads a file with an audio track: the camera file has none and aufile plays the sound.
 */
export function spawnBaresip(dir: string, o: BaresipSetup, cpus?: string): ChildProcess {
  const v = o.video ?? { width: 320, height: 240, fps: 15, bitrate: 400_000 };
  writeFileSync(
    join(dir, 'config'),
    [
      'poll_method epoll',
      `sip_listen ${o.listen}`,
      // Its SDP and RTP on loopback too (it takes the first interface's address otherwise).
      'net_interface 127.0.0.1',
      'module_path /usr/lib/baresip/modules',
      // menu registers the commands ctrl_tcp runs (dial, hangup) and answers by itself with
      // answermode=auto; account reads the accounts file, after the codecs are loaded. Only
      // G.722 and avcodec's H.264 are offered.
      ...[
        'menu',
        'g722',
        'avcodec',
        'avformat',
        'aufile',
        'srtp',
        'fakevideo',
        'aubridge',
        'snapshot',
        'ctrl_tcp',
        'account',
      ].map((m) => `module ${m}.so`),
      `audio_source aufile,${o.microphone}`,
      'audio_player aubridge,nil',
      'audio_alert aubridge,nil',
      `video_source avformat,${o.camera}`,
      'video_display fakevideo,nil',
      `video_size ${v.width}x${v.height}`,
      `video_bitrate ${v.bitrate}`,
      `video_fps ${v.fps}`,
      `ctrl_tcp_listen 127.0.0.1:${o.ctrlPort}`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'accounts'), `${o.account}\n`);
  writeFileSync(join(dir, 'contacts'), '');
  const args = ['-v', '-f', dir];
  return cpus
    ? spawn('taskset', ['-c', cpus, 'baresip', ...args], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn('baresip', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** ffmpeg arguments for a room's camera file (H.264 Baseline, no audio track) and its tone. */
export function roomMediaArgs(
  camera: string,
  tone: string,
  o: { size: string; fps: number; seconds: number },
): { camera: string[]; tone: string[] } {
  return {
    camera: [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${o.size}:rate=${o.fps}`],
      ...['-t', String(o.seconds), '-c:v', 'libx264', '-profile:v', 'baseline'],
      ...['-pix_fmt', 'yuv420p', '-g', String(o.fps), '-an', camera],
    ],
    tone: [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000'],
      ...['-t', String(o.seconds), '-ac', '1', tone],
    ],
  };
}
