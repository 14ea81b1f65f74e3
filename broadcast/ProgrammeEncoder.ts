import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { MediaLogger } from '../media/MediaLogger.js';
import { ComposerHeartbeat } from './ComposerHeartbeat.js';
import {
  type EncoderInput,
  type ProgrammeEncoderEvents,
  type ProgrammeEncoderOptions,
  type ProgrammeOutput,
  segmentNumbers,
} from './composerContract.js';

const composerScript = join(dirname(fileURLToPath(import.meta.url)), 'composer.py').replace(
  /\/dist\/broadcast\//,
  '/broadcast/',
);

interface ComposerEvent {
  event: string;
  [field: string]: unknown;
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
  private readonly heartbeat = new ComposerHeartbeat();
  /** Until then the composer's stderr is a stack dump: logged as an error. */
  private dumpingUntil = 0;
  private lostStates = 0;
  /** Outputs the composer dropped on their own (they failed), added again after a pause. */
  private readonly retries = new Map<string, { count: number; timer?: NodeJS.Timeout }>();
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
    this.watchdog = setInterval(() => this.checkAlive(), 1000);
    this.watchdog.unref();
    this.spawn();
  }

  /**
   * A composer whose main loop stopped (a GStreamer deadlock) writes nothing and never exits;
   * one whose loop runs while its encoder stopped (a streaming thread stuck) still beats but
   * makes no frames. Either is killed and restarted like a crashed one (recordings go on in
   * new segments).
   */
  private checkAlive(): void {
    const child = this.child;
    if (!child || !this.playing || this.closed) return;
    const stall = this.heartbeat.stall(this.options.stallMs ?? 10_000);
    if (stall?.why === 'silent') this.dumpThenKill(child, stall.ms);
    else if (stall) this.kill(stall.why, { forMs: stall.ms, outputs: stall.outputs });
  }

  /** A silent composer's thread stacks (Python's faulthandler on SIGUSR1) go to the log first. */
  private dumpThenKill(
    child: ChildProcessByStdio<Writable, Readable, Readable>,
    silentMs: number,
  ): void {
    if (this.dumpingUntil > Date.now()) return;
    this.dumpingUntil = Date.now() + 1000;
    child.kill('SIGUSR1');
    setTimeout(() => {
      if (this.child === child) this.kill('silent', { silentMs });
    }, 500).unref();
  }

  private kill(why: string, details: Record<string, unknown> = {}): void {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.log.error({ pid: child.pid, why, ...details }, 'programme composer stalled, killed');
    this.lastError = `stalled: ${why}`;
    this.playing = false;
    child.kill('SIGKILL');
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Times the running pipeline left PLAYING (never expected: the tests assert none). */
  get stateLosses(): number {
    return this.lostStates;
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
    const retry = this.retries.get(id);
    if (retry) clearTimeout(retry.timer);
    this.retries.delete(id);
    if (!this.outputs.delete(id)) return Promise.resolve();
    return new Promise<void>((ok) => {
      // A stop always completes: an output the composer has not finished by then means a
      // stuck composer, killed here (its restart goes on without this output).
      const timer = setTimeout(() => {
        if (!this.removing.has(id)) return;
        this.log.error({ output: id }, 'programme output did not stop in time');
        this.kill('output did not stop', { output: id });
        this.outputGone(id);
      }, this.options.stopTimeoutMs ?? 12_000);
      this.removing.set(id, () => {
        clearTimeout(timer);
        ok();
      });
      if (!this.child) this.outputGone(id);
      else this.send({ cmd: 'unoutput', id });
    });
  }

  private outputGone(id: string, failed = false): void {
    const done = this.removing.get(id);
    this.removing.delete(id);
    done?.();
    this.emit('outputRemoved', id);
    // Still wanted (the composer dropped it on its own: it failed): added again after a pause
    // that grows while it keeps failing, a recording in its next segment.
    const output = this.outputs.get(id);
    if (done || !output || !failed || this.closed) return;
    const retry = this.retries.get(id) ?? { count: 0 };
    retry.count++;
    const delay = Math.min(30_000, 1000 * 2 ** Math.min(retry.count - 1, 5));
    this.log.warn(
      { output: id, kind: output.kind, delayMs: delay },
      'programme output failed, adding it again',
    );
    retry.timer = setTimeout(() => {
      retry.timer = undefined;
      if (this.outputs.get(id) === output && !this.closed) this.send(this.outputCommand(output));
    }, delay);
    this.retries.set(id, retry);
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
    createInterface({ input: child.stderr }).on('line', (line) => {
      if (this.dumpingUntil > Date.now()) this.log.error({ line }, 'composer stalled: its threads');
      else this.log.debug({ line }, 'composer');
    });
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
    this.heartbeat.heard();
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
        this.heartbeat.reset();
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
      case 'alive':
        this.heartbeat.beat(event);
        break;
      case 'stateLost':
        this.lostStates++;
        this.log.warn({ state: event.state }, 'programme pipeline left PLAYING');
        break;
      case 'segmentAbandoned': {
        const path = String(event.location);
        const opened = this.openSegments.get(path);
        this.openSegments.delete(path);
        this.emit('segmentCut', { path, startedAt: opened?.at ?? Date.now() });
        break;
      }
      case 'stuck':
        this.log.error({ message: event.message }, 'composer stuck');
        this.kill('stuck', { message: event.message });
        break;
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
        this.outputGone(String(event.id), event.failed === true);
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
    // A segment whose close was not reported (a crash, or a stop cut short) is kept as a cut one.
    for (const [path, opened] of this.openSegments)
      this.emit('segmentCut', { path, startedAt: opened.at });
    this.openSegments.clear();
    if (this.closed) return;
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

  /** Finishes every output's files, then waits for the process; kills it after 12 s. Memoized. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      clearInterval(this.watchdog);
      if (this.restartTimer) clearTimeout(this.restartTimer);
      for (const retry of this.retries.values()) clearTimeout(retry.timer);
      const child = this.child;
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((ok) => child.once('close', () => ok()));
        this.send({ cmd: 'stop' });
        child.stdin.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), 12_000);
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
