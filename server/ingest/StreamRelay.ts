import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { stopProcess } from '../../broadcast/stopProcess.js';
import type { Logger } from '../logger.js';

export type RelayStatus = 'waiting' | 'live' | 'restarting' | 'off';

/** Where the encoder's stream comes from: FFmpeg listens for it, or pulls a URL. */
export type RelayInput =
  | { protocol: 'rtmp' | 'srt'; host: string; port: number; key: string }
  | { protocol: 'pull'; url: string };

/** One RTP output: the SFU's port, FFmpeg's own ports (the SFU takes packets from that one only). */
export interface RelayOutput {
  port: number;
  senderPort: number;
  senderRtcpPort: number;
  ssrc: number;
  payloadType: number;
}

export interface StreamRelayOptions {
  ffmpegBin: string;
  input: RelayInput;
  video: RelayOutput;
  audio: RelayOutput;
  /** Bitrate when the picture must be re-encoded (B-frames or not H.264). */
  videoKbps: number;
  logger: Logger;
  maxRetryDelayMs?: number;
}

export interface RelayFigures {
  /** copy: the encoder's H.264 forwarded as it is; encode: re-encoded (x264 zerolatency). */
  mode: 'copy' | 'encode';
  width?: number;
  height?: number;
  codec?: string;
  restarts: number;
  lastError?: string;
}

export interface StreamRelayEvents {
  status: [RelayStatus];
}

/** The URL FFmpeg listens on or pulls (holds the key: never logged as is). */
function inputUrl(input: RelayInput): string {
  if (input.protocol === 'pull') return input.url;
  if (input.protocol === 'rtmp') return `rtmp://${input.host}:${input.port}/live/${input.key}`;
  // The key is SRT's passphrase: libsrt refuses a caller without it (AES-128).
  return `srt://${input.host}:${input.port}?mode=listener&passphrase=${input.key}&pbkeylen=16&latency=120000`;
}

function rtpUrl(o: RelayOutput): string {
  return `rtp://127.0.0.1:${o.port}?localrtpport=${o.senderPort}&localrtcpport=${o.senderRtcpPort}&pkt_size=1200`;
}

/**
 * One encoder's stream relayed into the SFU by one supervised FFmpeg: AAC (or whatever it
 * sends) → Opus; H.264 copied when it has no B-frames (WebRTC receivers do not reorder), else
 * re-encoded with x264 zerolatency. B-frames are seen in the copied packets' timestamps (a
 * presentation time going back); the stream is then restarted re-encoding, once for good.
 * FFmpeg restarts with a growing delay; an encoder that dropped is listened for again at once.
 */
export class StreamRelay extends EventEmitter<StreamRelayEvents> {
  private child?: ChildProcess;
  private statusNow: RelayStatus = 'waiting';
  private timer?: NodeJS.Timeout;
  private closed = false;
  private failures = 0;
  private readonly log: Logger;
  readonly figures: RelayFigures = { mode: 'copy', restarts: 0 };

  constructor(private readonly options: StreamRelayOptions) {
    super();
    this.log = options.logger.child({
      component: 'stream-relay',
      protocol: options.input.protocol,
    });
    this.start();
  }

  get status(): RelayStatus {
    return this.statusNow;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private setStatus(status: RelayStatus): void {
    if (status === this.statusNow) return;
    this.statusNow = status;
    this.log.info({ status, mode: this.figures.mode }, 'ingest stream status');
    this.emit('status', status);
  }

  private args(): string[] {
    const { input, video, audio, videoKbps } = this.options;
    const copy = this.figures.mode === 'copy';
    const kbps = `${videoKbps}k`;
    return [
      '-hide_banner',
      '-nostdin',
      '-nostats',
      '-loglevel',
      'info',
      '-progress',
      'pipe:1',
      '-stats_period',
      '0.5',
      ...(input.protocol === 'rtmp' ? ['-listen', '1'] : []),
      ...(input.protocol === 'pull' ? ['-rw_timeout', '10000000'] : []),
      // Start relaying after 1 s of probing rather than FFmpeg's 5 s.
      '-analyzeduration',
      '1000000',
      '-i',
      inputUrl(input),
      '-map',
      '0:v:0',
      ...(copy
        ? ['-c:v', 'copy', '-bsf:v', 'h264_mp4toannexb']
        : [
            '-c:v',
            'libx264',
            '-preset',
            'veryfast',
            '-tune',
            'zerolatency',
            '-profile:v',
            'baseline',
            '-pix_fmt',
            'yuv420p',
            '-g',
            '30',
            '-b:v',
            kbps,
            '-maxrate',
            kbps,
            '-bufsize',
            kbps,
          ]),
      '-an',
      '-f',
      'rtp',
      '-payload_type',
      String(video.payloadType),
      '-ssrc',
      String(video.ssrc),
      rtpUrl(video),
      '-map',
      '0:a:0',
      '-c:a',
      'libopus',
      '-ar',
      '48000',
      '-ac',
      '2',
      '-b:a',
      '96k',
      '-vn',
      '-f',
      'rtp',
      '-payload_type',
      String(audio.payloadType),
      '-ssrc',
      String(audio.ssrc),
      rtpUrl(audio),
      // The copied packets' timestamps, to see B-frames (fd 3).
      ...(copy ? ['-map', '0:v:0', '-c:v', 'copy', '-f', 'framecrc', 'pipe:3'] : []),
    ];
  }

  private start(): void {
    const child = spawn(this.options.ffmpegBin, this.args(), {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    let flowed = false;
    createInterface({ input: child.stdout as Readable }).on('line', (line) => {
      if (line === 'progress=continue' && !flowed) {
        flowed = true;
        this.failures = 0;
        this.setStatus('live');
      }
    });
    const key = this.options.input.protocol === 'pull' ? undefined : this.options.input.key;
    createInterface({ input: child.stderr as Readable }).on('line', (raw) => {
      const line = key ? raw.replaceAll(key, '***') : raw;
      const input = /Stream #0:\d+.*: Video: (\w+).*?, (\d{2,5})x(\d{2,5})/.exec(line);
      if (input && this.figures.width === undefined) {
        this.figures.codec = input[1]!;
        this.figures.width = Number(input[2]);
        this.figures.height = Number(input[3]);
        if (this.figures.mode === 'copy' && input[1] !== 'h264') this.reencode('not H.264');
      }
      if (/error|failed|invalid/i.test(line)) this.figures.lastError = line.slice(0, 300);
    });
    let lastPts: number | undefined;
    createInterface({ input: child.stdio[3] as Readable }).on('line', (line) => {
      if (line.startsWith('#')) return;
      const pts = Number(line.split(',')[2]);
      if (lastPts !== undefined && pts < lastPts) this.reencode('B-frames');
      lastPts = pts;
    });
    child.once('error', (err) => {
      this.figures.lastError = err.message;
    });
    child.once('close', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.figures.width = undefined;
      this.figures.height = undefined;
      if (this.closed) return;
      this.figures.restarts++;
      // An encoder that was sending and left is listened for again at once.
      const delay = flowed
        ? 50
        : Math.min(this.options.maxRetryDelayMs ?? 10_000, 250 * 2 ** Math.min(this.failures++, 6));
      this.log.info(
        { code, signal, delayMs: delay, error: this.figures.lastError },
        'FFmpeg stopped',
      );
      this.setStatus('restarting');
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.closed) return;
        this.setStatus('waiting');
        this.start();
      }, delay);
    });
  }

  /** From now on this stream is re-encoded; the running FFmpeg is replaced. */
  private reencode(why: string): void {
    if (this.figures.mode === 'encode') return;
    this.figures.mode = 'encode';
    this.log.info({ why }, 'the stream will be re-encoded');
    this.child?.kill('SIGKILL');
  }

  /** Stops relaying and waits for FFmpeg to exit. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const child = this.child;
    this.child = undefined;
    this.statusNow = 'off';
    await stopProcess(child, 2000);
    this.removeAllListeners();
  }
}
