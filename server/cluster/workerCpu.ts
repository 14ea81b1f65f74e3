import type { WorkerPool } from '../../media/WorkerPool.js';
import type { Logger } from '../logger.js';

/**
 * The media workers' CPU use as a node's load figure: every `intervalMs` it reads each worker's
 * getResourceUsage() (user + system CPU time, ms) and keeps the share of one core used since the
 * last reading, averaged over the workers (percent). A worker that died or respawned restarts
 * its own baseline.
 */
export class WorkerCpuSampler {
  private timer?: NodeJS.Timeout;
  private readonly last = new Map<number, { pid: number; cpuMs: number; at: number }>();
  private percent = 0;

  constructor(
    private readonly pool: WorkerPool,
    private readonly logger: Logger,
    private readonly intervalMs = 2000,
  ) {}

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  /** Average CPU of the media workers over the last interval (percent of one core each). */
  get cpuPercent(): number {
    return this.percent;
  }

  private async sample(): Promise<void> {
    const shares: number[] = [];
    for (const slot of this.pool.workers) {
      try {
        const usage = await slot.worker.getResourceUsage();
        const cpuMs = usage.ru_utime + usage.ru_stime;
        const at = performance.now();
        const before = this.last.get(slot.index);
        this.last.set(slot.index, { pid: slot.worker.pid, cpuMs, at });
        if (before && before.pid === slot.worker.pid && at > before.at)
          shares.push(Math.max(0, (cpuMs - before.cpuMs) / (at - before.at)) * 100);
      } catch (err) {
        this.logger.debug({ err, worker: slot.index }, 'worker usage not read');
      }
    }
    if (shares.length)
      this.percent = Math.round((shares.reduce((a, b) => a + b, 0) / shares.length) * 10) / 10;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
