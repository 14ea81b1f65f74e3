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

/**
 * One output of the programme, added and removed while the composer runs (a branch of its
 * encoders' tees). `id` is the owner's, unique for the composer's life.
 */
export type ProgrammeOutput =
  /**
   * MP4 segments `<dir>/<stem>-RRRRRR-SSS.mp4`: `run` numbers the recordings of a meeting (never
   * reused), SSS its segments from `startIndex` (a restarted composer continues the count).
   */
  | { id: string; kind: 'record'; dir: string; stem: string; run: number; startIndex: number }
  /** MPEG-TS over local UDP (H.264 byte-stream with SPS/PPS at each keyframe + AAC). */
  | { id: string; kind: 'mpegts'; port: number }
  /** HLS playlist and segments written to this folder. */
  | { id: string; kind: 'hls'; dir: string };

export interface SegmentInfo {
  path: string;
  /** Epoch ms at which the segment's first frame was captured (from the pipeline clock). */
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
  /** A segment left open by a composer that died: it plays up to its last whole fragment. */
  segmentCut: [path: string];
  /** The picture on screen changed (`id` undefined: the still card). */
  displayed: [{ id?: string; wanted?: string; atMs: number }];
  /** An output finished (its files are closed) and left the composer. */
  outputRemoved: [id: string];
  /** The composer stopped unexpectedly; a restart is scheduled. */
  crashed: [{ code: number | null; signal: string | null; message?: string }];
  closed: [];
}

export interface ProgrammeEncoderOptions {
  settings: ProgrammeSettings;
  logger: MediaLogger;
  /** The compact strip at the top (the meeting's name). */
  strip?: string;
  /** The lower third: up to two lines (agenda item, speaker). */
  lower?: string;
  /** First restart delay (ms); doubles up to 10 s while crashes follow each other. */
  restartDelayMs?: number;
  /** A playing composer silent this long (no heartbeat) is killed and restarted. */
  stallMs?: number;
}

const composerScript = join(dirname(fileURLToPath(import.meta.url)), 'composer.py').replace(
  /\/dist\/broadcast\//,
  '/broadcast/',
);

interface ComposerEvent {
  event: string;
  [field: string]: unknown;
}

/** The run and segment numbers in a segment's name (`<stem>-RRRRRR-SSS.mp4`). */
export function segmentNumbers(path: string): { run: number; index: number } | undefined {
  const match = /-(\d{6})-(\d{3})\.mp4$/.exec(path);
  return match ? { run: Number(match[1]), index: Number(match[2]) } : undefined;
}

/**
 * Supervises the composer process (broadcast/composer.py): keeps the wanted inputs, outputs,
 * shown input and text, replays them into every new process, and restarts a process that dies.
 * The meeting never depends on it: the SFU only sends RTP to local ports.
 */
export class ProgrammeEncoder extends EventEmitter<ProgrammeEncoderEvents> {
  private readonly inputs = new Map<string, EncoderInput>();
  private readonly outputs = new Map<string, ProgrammeOutput>();
  /** Outputs asked to stop, resolved when the composer says their files are closed. */
  private readonly removing = new Map<string, () => void>();
  private shown?: string;
  private fallback?: string;
  private strip: string;
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
  /** When the composer last said anything (it says "alive" every second while its loop runs). */
  private lastHeardAt = 0;
  private playing = false;
  private readonly watchdog: NodeJS.Timeout;
  private readonly log: MediaLogger;

  constructor(private readonly options: ProgrammeEncoderOptions) {
    super();
    this.strip = options.strip ?? '';
    this.lower = options.lower ?? '';
    this.log = options.logger.child({ component: 'programme-encoder' });
    // A composer whose main loop stopped (a GStreamer deadlock) writes nothing and never
    // exits: it is killed and restarted like a crashed one (recordings go on in new segments).
    this.watchdog = setInterval(() => {
      const silent = Date.now() - this.lastHeardAt;
      if (this.child && this.playing && !this.closed && silent > (options.stallMs ?? 10_000)) {
        this.log.error({ pid: this.child.pid, silentMs: silent }, 'programme composer stalled');
        this.child.kill('SIGKILL');
        this.playing = false;
      }
    }, 1000);
    this.watchdog.unref();
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

  /** Shows `id` once it decodes; `fallback` (the main point's camera) when it has no picture. */
  show(id: string | undefined, fallback?: string): void {
    this.shown = id;
    this.fallback = fallback;
    this.send({ cmd: 'show', id: id ?? null, fallback: fallback ?? null });
  }

  setText(text: { strip?: string; lower?: string }): void {
    if (text.strip !== undefined) this.strip = text.strip;
    if (text.lower !== undefined) this.lower = text.lower;
    this.send({ cmd: 'text', ...text });
  }

  /** Outputs the composer writes now (or will, once restarted). */
  get outputIds(): string[] {
    return [...this.outputs.keys()];
  }

  addOutput(output: ProgrammeOutput): void {
    if (this.outputs.has(output.id)) return;
    this.outputs.set(output.id, output);
    this.send(this.outputCommand(output));
  }

  /** Stops one output; resolves once its files are closed (or the composer is gone). */
  removeOutput(id: string): Promise<void> {
    if (!this.outputs.delete(id)) return Promise.resolve();
    return new Promise<void>((ok) => {
      this.removing.set(id, ok);
      if (!this.child) this.outputGone(id);
      else this.send({ cmd: 'unoutput', id });
    });
  }

  private outputGone(id: string): void {
    // An output the composer dropped on its own (it failed) is not replayed into a restart.
    if (!this.removing.has(id)) this.outputs.delete(id);
    const done = this.removing.get(id);
    this.removing.delete(id);
    done?.();
    this.emit('outputRemoved', id);
  }

  private outputCommand(output: ProgrammeOutput): Record<string, unknown> {
    const { settings } = this.options;
    switch (output.kind) {
      case 'record':
        return { cmd: 'output', ...output, segmentSeconds: settings.segmentSeconds };
      case 'hls':
        return {
          cmd: 'output',
          ...output,
          segmentSeconds: settings.hlsSegmentSeconds,
          playlistLength: 6,
          // A restarted composer's segments must not reuse the names the playlist had.
          startIndex: this.restarts,
        };
      default:
        return { cmd: 'output', ...output };
    }
  }

  private send(command: Record<string, unknown>): void {
    const stdin = this.child?.stdin;
    if (stdin?.writable) stdin.write(`${JSON.stringify(command)}\n`);
  }

  private spawn(): void {
    const { settings } = this.options;
    const at = Date.now();
    const args = {
      width: settings.width,
      height: settings.height,
      fps: settings.fps,
      preset: settings.preset,
      videoKbps: settings.videoKbps,
      audioKbps: settings.audioKbps,
      threads: settings.threads,
      strip: this.strip,
      lower: this.lower,
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
    this.send({ cmd: 'show', id: this.shown ?? null, fallback: this.fallback ?? null });
    // A restarted composer writes new files, never over the crashed one's.
    for (const output of this.outputs.values()) this.send(this.outputCommand(output));
  }

  private onLine(line: string): void {
    this.lastHeardAt = Date.now();
    let event: ComposerEvent;
    try {
      event = JSON.parse(line) as ComposerEvent;
    } catch {
      this.log.debug({ line }, 'composer');
      return;
    }
    switch (event.event) {
      case 'playing':
        this.playing = true;
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
        const at = Number(event.atMs) || Date.now();
        this.openSegments.set(path, { at, runningTimeMs: Number(event.runningTimeMs) });
        // The next segment after a restart continues the numbering.
        const output = this.outputs.get(String(event.output));
        const numbers = segmentNumbers(path);
        if (output?.kind === 'record' && numbers)
          output.startIndex = Math.max(output.startIndex, numbers.index + 1);
        this.emit('segmentOpened', path);
        break;
      }
      case 'segmentDropped':
        // A recording stopped before its first keyframe: its empty file is gone.
        this.openSegments.delete(String(event.location));
        break;
      case 'segmentClosed': {
        const path = String(event.location);
        const opened = this.openSegments.get(path);
        this.openSegments.delete(path);
        const durationMs = opened ? Number(event.runningTimeMs) - opened.runningTimeMs : 0;
        this.emit('segmentClosed', { path, startedAt: opened?.at ?? Date.now(), durationMs });
        break;
      }
      case 'displayed':
        this.emit('displayed', {
          ...(typeof event.id === 'string' ? { id: event.id } : {}),
          ...(typeof event.wanted === 'string' ? { wanted: event.wanted } : {}),
          atMs: Number(event.atMs),
        });
        break;
      case 'outputRemoved':
        this.outputGone(String(event.id));
        break;
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
    this.playing = false;
    // Outputs being stopped are gone with their process.
    for (const id of [...this.removing.keys()]) this.outputGone(id);
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
    for (const path of this.openSegments.keys()) this.emit('segmentCut', path);
    this.openSegments.clear();
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

  /** Finishes every output's files, then waits for the process; kills it after 15 s. Memoized. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      clearInterval(this.watchdog);
      if (this.restartTimer) clearTimeout(this.restartTimer);
      const child = this.child;
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((ok) => child.once('close', () => ok()));
        this.send({ cmd: 'stop' });
        child.stdin.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
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
