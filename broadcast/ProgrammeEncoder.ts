import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/index.js';
import type { MediaLogger } from '../media/MediaLogger.js';

export type ProgrammeSettings = Config['broadcast'];

/** One RTP stream the composer reads from a local UDP port. */
export interface EncoderInput {
  /** The mediasoup producer id it carries. */
  id: string;
  kind: 'audio' | 'video';
  port: number;
  payloadType: number;
  /** VP8, VP9, H264 or opus. */
  codec: string;
  clockRate: number;
}

/** Where the encoded programme goes; fixed for the life of one composer process. */
export interface ProgrammeOutputs {
  /** MP4 segments: `<dir>/<stem>-<start>-NNN.mp4`, one new start stamp per process. */
  record?: { dir: string; stem: string };
  /** MPEG-TS over local UDP, read by the live pushers. */
  mpegtsPort?: number;
  /** HLS playlist and segments written to this folder. */
  hls?: { dir: string };
}

export interface SegmentInfo {
  path: string;
  /** Epoch ms of the segment's first frame (approximately: when the composer opened it). */
  startedAt: number;
  durationMs: number;
}

export interface ProgrammeEncoderEvents {
  /** The composer plays (first start or a restart); `restarts` counts the crashes so far. */
  started: [{ pid: number; restarts: number }];
  /** The composer decodes this input now: time to ask its producer for a keyframe. */
  inputAdded: [inputId: string];
  segmentOpened: [path: string];
  segmentClosed: [SegmentInfo];
  /** The composer stopped unexpectedly; a restart is scheduled. */
  crashed: [{ code: number | null; signal: string | null; message?: string }];
  closed: [];
}

export interface ProgrammeEncoderOptions {
  settings: ProgrammeSettings;
  outputs: ProgrammeOutputs;
  logger: MediaLogger;
  banner?: string;
  lower?: string;
  /** First restart delay (ms); doubles up to 10 s while crashes follow each other. */
  restartDelayMs?: number;
}

const composerScript = join(dirname(fileURLToPath(import.meta.url)), 'composer.py').replace(
  /\/dist\/broadcast\//,
  '/broadcast/',
);

interface ComposerEvent {
  event: string;
  [field: string]: unknown;
}

function stamp(at: number): string {
  return new Date(at)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/**
 * Supervises the composer process (broadcast/composer.py): keeps the wanted inputs, the shown
 * input and the text, replays them into every new process, and restarts a process that dies.
 * The meeting never depends on it: the SFU only sends RTP to local ports.
 */
export class ProgrammeEncoder extends EventEmitter<ProgrammeEncoderEvents> {
  private readonly inputs = new Map<string, EncoderInput>();
  private shown?: string;
  private banner: string;
  private lower: string;
  private child?: ChildProcessByStdio<Writable, Readable, Readable>;
  private restarts = 0;
  private restartTimer?: NodeJS.Timeout;
  private startedAt = 0;
  /** The composer's last reported error, given with the crash it explains. */
  private lastError?: string;
  private closed = false;
  private closing?: Promise<void>;
  private readonly openSegments = new Map<string, { at: number; runningTimeMs: number }>();
  private readonly log: MediaLogger;

  constructor(private readonly options: ProgrammeEncoderOptions) {
    super();
    this.banner = options.banner ?? '';
    this.lower = options.lower ?? '';
    this.log = options.logger.child({ component: 'programme-encoder' });
    this.spawn();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get restartCount(): number {
    return this.restarts;
  }

  addInput(input: EncoderInput): void {
    this.inputs.set(input.id, input);
    this.send({ cmd: 'add', ...input });
  }

  removeInput(id: string): void {
    if (!this.inputs.delete(id)) return;
    this.send({ cmd: 'remove', id });
  }

  show(id: string | undefined): void {
    this.shown = id;
    this.send({ cmd: 'show', id: id ?? null });
  }

  setText(text: { banner?: string; lower?: string }): void {
    if (text.banner !== undefined) this.banner = text.banner;
    if (text.lower !== undefined) this.lower = text.lower;
    this.send({ cmd: 'text', ...text });
  }

  private send(command: Record<string, unknown>): void {
    const stdin = this.child?.stdin;
    if (stdin?.writable) stdin.write(`${JSON.stringify(command)}\n`);
  }

  private spawn(): void {
    const { settings, outputs } = this.options;
    const at = Date.now();
    const args = {
      width: settings.width,
      height: settings.height,
      fps: settings.fps,
      preset: settings.preset,
      videoKbps: settings.videoKbps,
      audioKbps: settings.audioKbps,
      threads: settings.threads,
      banner: this.banner,
      lower: this.lower,
      ...(outputs.record
        ? {
            record: {
              segmentSeconds: settings.segmentSeconds,
              // A restarted process writes new files, never over the crashed one's.
              location: join(outputs.record.dir, `${outputs.record.stem}-${stamp(at)}-%03d.mp4`),
            },
          }
        : {}),
      ...(outputs.mpegtsPort ? { mpegtsPort: outputs.mpegtsPort } : {}),
      ...(outputs.hls
        ? {
            hls: {
              dir: outputs.hls.dir,
              segmentSeconds: settings.hlsSegmentSeconds,
              playlistLength: 6,
            },
          }
        : {}),
    };
    const child = spawn(settings.pythonBin, [composerScript, JSON.stringify(args)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    this.startedAt = at;
    this.openSegments.clear();
    child.stdin.on('error', () => {});
    createInterface({ input: child.stdout }).on('line', (line) => this.onLine(line));
    createInterface({ input: child.stderr }).on('line', (line) =>
      this.log.debug({ line }, 'composer'),
    );
    child.once('error', (err) => this.log.error({ err }, 'composer could not start'));
    // 'close', not 'exit': the last events (the final segment) are read by then.
    child.once('close', (code, signal) => this.onExit(child, code, signal));
    // Commands wait in the composer until it plays; replay the wanted state now.
    for (const input of this.inputs.values()) this.send({ cmd: 'add', ...input });
    if (this.shown) this.send({ cmd: 'show', id: this.shown });
  }

  private onLine(line: string): void {
    let event: ComposerEvent;
    try {
      event = JSON.parse(line) as ComposerEvent;
    } catch {
      this.log.debug({ line }, 'composer');
      return;
    }
    switch (event.event) {
      case 'playing':
        this.log.info(
          { pid: this.child?.pid, restarts: this.restarts },
          'programme composer playing',
        );
        this.emit('started', { pid: this.child?.pid ?? 0, restarts: this.restarts });
        break;
      case 'inputAdded':
        this.emit('inputAdded', String(event.id));
        break;
      case 'segmentOpened': {
        const path = String(event.location);
        this.openSegments.set(path, { at: Date.now(), runningTimeMs: Number(event.runningTimeMs) });
        this.emit('segmentOpened', path);
        break;
      }
      case 'segmentClosed': {
        const path = String(event.location);
        const opened = this.openSegments.get(path);
        this.openSegments.delete(path);
        const durationMs = opened ? Number(event.runningTimeMs) - opened.runningTimeMs : 0;
        this.emit('segmentClosed', { path, startedAt: opened?.at ?? Date.now(), durationMs });
        break;
      }
      case 'error':
        this.lastError = String(event.message);
        this.log.error({ message: event.message, source: event.source }, 'composer error');
        break;
      case 'warning':
        this.log.warn({ message: event.message }, 'composer warning');
        break;
    }
  }

  private onExit(
    child: ChildProcessByStdio<Writable, Readable, Readable>,
    code: number | null,
    signal: string | null,
  ): void {
    if (this.child !== child) return;
    this.child = undefined;
    if (this.closed) {
      // Stopped on purpose but a segment's close was not reported: its wall-clock length.
      for (const [path, opened] of this.openSegments)
        this.emit('segmentClosed', {
          path,
          startedAt: opened.at,
          durationMs: Date.now() - opened.at,
        });
      this.openSegments.clear();
      return;
    }
    this.restarts++;
    const uptime = Date.now() - this.startedAt;
    const base = this.options.restartDelayMs ?? 500;
    // A process that ran a while gets a quick restart; repeated quick deaths back off.
    const delay = uptime > 30_000 ? base : Math.min(10_000, base * 2 ** Math.min(this.restarts, 5));
    this.log.error(
      { code, signal, uptimeMs: uptime, delayMs: delay },
      'programme composer stopped, restarting',
    );
    this.emit('crashed', { code, signal, ...(this.lastError ? { message: this.lastError } : {}) });
    this.lastError = undefined;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.closed) this.spawn();
    }, delay);
  }

  /** Finishes the open segment (EOS), then waits for the process; kills it after 8 s. Memoized. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      if (this.restartTimer) clearTimeout(this.restartTimer);
      const child = this.child;
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((ok) => child.once('close', () => ok()));
        this.send({ cmd: 'stop' });
        child.stdin.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
        await exited;
        clearTimeout(timer);
      }
      this.child = undefined;
      this.emit('closed');
      this.removeAllListeners();
    })();
    return this.closing;
  }
}
