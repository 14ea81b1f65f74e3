import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { MediaLogger } from '../media/MediaLogger.js';
import { stopProcess } from './stopProcess.js';

export type PushStatus = 'off' | 'connecting' | 'live' | 'retrying';

export interface RtmpPusherOptions {
  ffmpegBin: string;
  /** The composer's MPEG-TS output (local UDP). */
  mpegtsPort: number;
  url: string;
  logger: MediaLogger;
  /** Longest wait between attempts (ms). */
  maxRetryDelayMs?: number;
}

export interface RtmpPusherEvents {
  status: [PushStatus];
}

/** An RTMP URL with its stream key hidden, for logs and pages. */
export function redactRtmpUrl(url: string): string {
  try {
    const u = new URL(url);
    const parts = u.pathname.split('/');
    if (parts.length > 2) parts[parts.length - 1] = '***';
    return `${u.protocol}//${u.host}${parts.join('/')}`;
  } catch {
    return 'rtmp://***';
  }
}

/**
 * Pushes the programme to one RTMP(S) ingest: FFmpeg copies the composer's H.264 + AAC from
 * MPEG-TS into FLV without re-encoding, and is restarted with a growing delay whenever the
 * ingest refuses or drops it. Its failures never reach the composer or the meeting.
 */
export class RtmpPusher extends EventEmitter<RtmpPusherEvents> {
  private child?: ChildProcessByStdio<null, Readable, Readable>;
  private statusNow: PushStatus = 'connecting';
  private attemptsMade = 0;
  private lastErrorLine?: string;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private readonly log: MediaLogger;

  constructor(private readonly options: RtmpPusherOptions) {
    super();
    this.log = options.logger.child({
      component: 'rtmp-pusher',
      target: redactRtmpUrl(options.url),
    });
    this.start();
  }

  get status(): PushStatus {
    return this.statusNow;
  }

  get attempts(): number {
    return this.attemptsMade;
  }

  get lastError(): string | undefined {
    return this.lastErrorLine;
  }

  private setStatus(status: PushStatus): void {
    if (status === this.statusNow) return;
    this.statusNow = status;
    this.log.info({ status, attempts: this.attemptsMade }, 'live out status');
    this.emit('status', status);
  }

  private start(): void {
    this.attemptsMade++;
    const { mpegtsPort, url } = this.options;
    const child = spawn(
      this.options.ffmpegBin,
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-nostdin',
        '-progress',
        'pipe:1',
        // The composer starts each output on a keyframe (with SPS/PPS) and the PMT names both
        // streams: one second of probing finds them. Longer only delays the publisher's connect
        // (2 s of probing took it 2.3–4.4 s after the start on a busy machine).
        '-analyzeduration',
        '1000000',
        '-probesize',
        '1000000',
        '-f',
        'mpegts',
        '-i',
        `udp://127.0.0.1:${mpegtsPort}?fifo_size=100000&overrun_nonfatal=1`,
        '-c',
        'copy',
        '-f',
        'flv',
        '-flvflags',
        'no_duration_filesize',
        url,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    // -progress reports only once data flows out to the ingest.
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('progress=')) this.setStatus('live');
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      this.lastErrorLine = line.replaceAll(url, redactRtmpUrl(url)).slice(0, 300);
    });
    child.once('error', (err) => {
      this.lastErrorLine = err.message;
    });
    child.once('close', (code) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (this.closed) return;
      const delay = Math.min(
        this.options.maxRetryDelayMs ?? 15_000,
        500 * 2 ** Math.min(this.attemptsMade, 5),
      );
      this.log.warn(
        { code, delayMs: delay, error: this.lastErrorLine },
        'live out stopped, retrying',
      );
      this.setStatus('retrying');
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.closed) this.start();
      }, delay);
    });
  }

  /** Stops pushing and waits for FFmpeg to exit. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const child = this.child;
    this.child = undefined;
    this.statusNow = 'off';
    await stopProcess(child, 3000);
    this.removeAllListeners();
  }
}
