import type { MeetingClient } from './MeetingClient.js';

/*
 * The page's own connection during a check. A page starved of CPU answers the server's heartbeat
 * late and its socket drops; the client reconnects by itself and the server keeps the check for a
 * while, so the check waits for the connection, resumes and goes on. How often it dropped and how
 * late the page's own timers ran (the page's share of the CPU) tell the computer from the link.
 */

/** A step of the check was cut short by a drop of the connection. */
export class ConnectionDropped extends Error {
  constructor() {
    super('Mất kết nối tới máy chủ trong lúc kiểm tra / The connection dropped during the check');
    this.name = 'ConnectionDropped';
  }
}

/** How often the lag probe ticks (ms): its lateness is how long the page was held up. */
const TICK_MS = 200;

export interface CheckConnection {
  /** Drops seen since the check began. */
  readonly drops: number;
  /** The longest the page's timers ran late since the check began (ms). */
  readonly lagMs: number;
  /** True when connected now, else waits up to `timeoutMs` for the client to be set up again. */
  back(timeoutMs: number): Promise<boolean>;
  /**
   * Runs `step` and settles with it, unless the connection drops first: then it rejects with
   * ConnectionDropped at once. `alive()` (given to the step) throws once the connection dropped,
   * so a step cut short stops before its next side effect.
   */
  guard<T>(step: (alive: () => void) => Promise<T>): Promise<T>;
  stop(): void;
}

export function watchCheckConnection(client: MeetingClient): CheckConnection {
  let drops = 0;
  let lagMs = 0;
  let last = performance.now();
  const lagTimer = setInterval(() => {
    const now = performance.now();
    lagMs = Math.max(lagMs, now - last - TICK_MS);
    last = now;
  }, TICK_MS);
  const onDrop = new Set<() => void>();
  const offState = client.on('state', (s) => {
    if (s !== 'reconnecting') return;
    drops++;
    for (const fn of [...onDrop]) fn();
  });

  return {
    get drops() {
      return drops;
    },
    get lagMs() {
      return Math.round(lagMs);
    },

    back(timeoutMs) {
      if (client.connectionState === 'connected') return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          off();
          resolve(false);
        }, timeoutMs);
        const off = client.on('state', (s) => {
          if (s !== 'connected' && s !== 'closed') return;
          clearTimeout(timer);
          off();
          resolve(s === 'connected');
        });
      });
    },

    guard<T>(step: (alive: () => void) => Promise<T>): Promise<T> {
      const at = drops;
      const alive = () => {
        if (drops !== at) throw new ConnectionDropped();
      };
      let dropped!: () => void;
      const cut = new Promise<never>((_, reject) => {
        dropped = () => reject(new ConnectionDropped());
      });
      onDrop.add(dropped);
      const run = step(alive);
      // Whatever the step does after it was cut short is of no interest.
      run.catch(() => {});
      return Promise.race([run, cut]).finally(() => onDrop.delete(dropped));
    },

    stop() {
      clearInterval(lagTimer);
      offState();
      onDrop.clear();
    },
  };
}
