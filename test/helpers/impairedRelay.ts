import { createSocket, type Socket } from 'node:dgram';
import {
  createServer,
  type Server,
  type Socket as TcpSocket,
  connect as tcpConnect,
} from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

/*
 * A user-space stand-in for `tc netem` (not in this kernel): a UDP (and TCP) relay between the
 * browser and the mediasoup WebRtcServer that delays and drops packets, per direction.
 *
 * Layout: the WebRtcServer listens on `target` (e.g. 127.0.0.2:P) but announces the relay's
 * address (127.0.0.1, same port P: mediasoup announces an address, not a port); the relay binds
 * `listenHost`:P. Every browser source address (ip:port) gets its own upstream socket, so the
 * server sees one distinct 5-tuple per browser candidate and ICE consent, DTLS and SRTP stay per
 * path; replies from that upstream socket go back to that browser address only.
 *
 * Semantics, per direction ("up": browser → server, "down": server → browser):
 *  - lossPercent: each datagram is dropped independently with this probability (STUN, DTLS, RTP
 *    and RTCP alike, as netem would);
 *  - delayMs ± jitterMs: each datagram leaves after delayMs plus a uniform draw in
 *    [-jitterMs, +jitterMs] (clamped at 0). Order is kept (a packet never leaves before the one
 *    ahead of it, like netem with a rate), so jitter shows as delay variation, not reordering.
 * TCP (ICE-TCP candidates) is relayed with the delay only: a byte stream cannot lose packets in
 * user space; without the relay a TCP candidate would bypass the impairment.
 */

export interface Impairment {
  /** One-way delay, ms. */
  delayMs: number;
  /** Uniform ± variation around the delay, ms. */
  jitterMs?: number;
  /** Random loss, 0..100 %. */
  lossPercent: number;
}

export type Direction = 'up' | 'down';

export interface RelayCounters {
  /** Datagrams (or TCP chunks) received on this direction. */
  received: number;
  dropped: number;
  forwarded: number;
  bytes: number;
}

export type RelayStats = Record<Direction, RelayCounters> & {
  udpOpened: number;
  tcpOpened: number;
  udpOpen: number;
  tcpOpen: number;
  /** Delays added by the relay's own event loop, ms: the impairment's error bar. */
  loopDelayMs: { p50: number; p99: number; max: number };
  /** How late delayed packets left compared with their due time, ms (max). */
  maxLateMs: number;
};

/** The relay in the calling thread (synchronous control). */
export interface RelayCore {
  /** The port the relay listens on (UDP and TCP) and the target's port. */
  readonly port: number;
  readonly listenHost: string;
  readonly targetHost: string;
  /** Changes the impairment; applies to packets arriving from now on. */
  set(impairment: Partial<Record<Direction, Impairment>>): void;
  impairment(): Record<Direction, Impairment>;
  /** Per direction; paths opened since the last reset and open now (UDP per browser address). */
  counters(): RelayStats;
  /** Zeroes the counters (e.g. between test cases). */
  resetCounters(): void;
  close(): Promise<void>;
}

export interface ImpairedRelayOptions {
  /** Where the browser sends (the announced address). Default 127.0.0.1. */
  listenHost?: string;
  /** Where the WebRtcServer really listens. Default 127.0.0.2. */
  targetHost?: string;
  /** Port of both; default: a port free on listenHost for UDP and TCP. */
  port?: number;
  up?: Impairment;
  down?: Impairment;
  /** Relay ICE-TCP as well (delay only). Default true. */
  tcp?: boolean;
  /** An upstream socket unused this long is closed (ms). Default 30 s (ICE consent expiry). */
  idleMs?: number;
}

const NONE: Impairment = { delayMs: 0, jitterMs: 0, lossPercent: 0 };

/** Delays sends on one direction of one path in FIFO order with a single timer. */
class DelayLine {
  private readonly queue: { at: number; send: () => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastAt = 0;
  private closed = false;

  constructor(private readonly onLate: (ms: number) => void = () => {}) {}

  push(delayMs: number, send: () => void): void {
    if (this.closed) return;
    const now = performance.now();
    const at = Math.max(now + delayMs, this.lastAt);
    this.lastAt = at;
    if (at <= now && this.queue.length === 0) {
      send();
      return;
    }
    this.queue.push({ at, send });
    if (!this.timer) this.arm();
  }

  private arm(): void {
    const head = this.queue[0];
    if (!head || this.closed) return;
    this.timer = setTimeout(() => this.flush(), Math.max(0, head.at - performance.now()));
  }

  private flush(): void {
    this.timer = undefined;
    // setTimeout may fire up to ~1 ms early or late; send what is due within half a millisecond.
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0]!.at <= now + 0.5) {
      const due = this.queue.shift()!;
      this.onLate(now - due.at);
      due.send();
    }
    this.arm();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.queue.length = 0;
  }
}

interface UdpPath {
  upstream: Socket;
  up: DelayLine;
  down: DelayLine;
  lastSeen: number;
}

const counters = (): RelayCounters => ({ received: 0, dropped: 0, forwarded: 0, bytes: 0 });

/** Binds a UDP socket, resolving with it or rejecting on error (EADDRINUSE). */
function bindUdp(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: 'udp4' });
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

function listenTcp(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Starts the relay on this thread's event loop; `startImpairedRelay` runs it on its own thread. */
export async function startRelayCore(options: ImpairedRelayOptions = {}): Promise<RelayCore> {
  const listenHost = options.listenHost ?? '127.0.0.1';
  const targetHost = options.targetHost ?? '127.0.0.2';
  const withTcp = options.tcp ?? true;
  const idleMs = options.idleMs ?? 30_000;
  const current: Record<Direction, Impairment> = {
    up: { ...NONE, ...options.up },
    down: { ...NONE, ...options.down },
  };
  let count = { up: counters(), down: counters(), udpOpened: 0, tcpOpened: 0 };
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const late = { maxMs: 0 };
  const onLate = (ms: number) => {
    if (ms > late.maxMs) late.maxMs = ms;
  };

  // One port for UDP and TCP: try the one asked for, or ephemeral ones until TCP binds too.
  let udp: Socket | undefined;
  const tcpServer: Server | undefined = withTcp ? createServer() : undefined;
  for (let attempt = 0; attempt < 20 && !udp; attempt++) {
    const socket = await bindUdp(listenHost, options.port ?? 0);
    const port = socket.address().port;
    if (!tcpServer) {
      udp = socket;
      break;
    }
    try {
      await listenTcp(tcpServer, listenHost, port);
      udp = socket;
    } catch (err) {
      socket.close();
      if (options.port !== undefined) throw err;
    }
  }
  if (!udp) throw new Error('impaired relay: no port free for both UDP and TCP');
  const listen = udp;
  const port = listen.address().port;

  /** Drops or delays one unit according to the direction's current impairment. */
  const pass = (dir: Direction, line: DelayLine, bytes: number, send: () => void) => {
    const c = count[dir];
    c.received++;
    const imp = current[dir];
    if (imp.lossPercent > 0 && Math.random() * 100 < imp.lossPercent) {
      c.dropped++;
      return;
    }
    const jitter = imp.jitterMs ?? 0;
    const delay = Math.max(0, imp.delayMs + (jitter > 0 ? (Math.random() * 2 - 1) * jitter : 0));
    line.push(delay, () => {
      c.forwarded++;
      c.bytes += bytes;
      send();
    });
  };

  // --- UDP: one upstream socket per browser address ---
  const paths = new Map<string, UdpPath>();
  const closePath = (key: string) => {
    const path = paths.get(key);
    if (!path) return;
    paths.delete(key);
    path.up.close();
    path.down.close();
    path.upstream.close();
  };
  listen.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let path = paths.get(key);
    if (!path) {
      const upstream = createSocket({ type: 'udp4' });
      const created: UdpPath = {
        upstream,
        up: new DelayLine(onLate),
        down: new DelayLine(onLate),
        lastSeen: Date.now(),
      };
      path = created;
      paths.set(key, created);
      count.udpOpened++;
      upstream.on('error', () => closePath(key));
      upstream.on('message', (reply) =>
        pass('down', created.down, reply.length, () =>
          listen.send(reply, rinfo.port, rinfo.address),
        ),
      );
      upstream.bind(0, listenHost);
    }
    path.lastSeen = Date.now();
    const { upstream } = path;
    pass('up', path.up, msg.length, () => {
      if (paths.has(key)) upstream.send(msg, port, targetHost);
    });
  });
  listen.on('error', () => {});
  const sweeper = setInterval(() => {
    const cutoff = Date.now() - idleMs;
    for (const [key, path] of paths) if (path.lastSeen < cutoff) closePath(key);
  }, 5000);
  sweeper.unref();

  // --- TCP: delay only, chunk by chunk ---
  const tcpPairs = new Set<{ a: TcpSocket; b: TcpSocket }>();
  tcpServer?.on('connection', (client) => {
    const server = tcpConnect({ host: targetHost, port, localAddress: listenHost });
    const pair = { a: client, b: server };
    tcpPairs.add(pair);
    count.tcpOpened++;
    const upLine = new DelayLine(onLate);
    const downLine = new DelayLine(onLate);
    const end = () => {
      tcpPairs.delete(pair);
      upLine.close();
      downLine.close();
      client.destroy();
      server.destroy();
    };
    // A stream loses nothing: only the delay applies.
    const delayOnly = (dir: Direction, line: DelayLine, chunk: Buffer, to: TcpSocket) => {
      const c = count[dir];
      c.received++;
      const imp = current[dir];
      const jitter = imp.jitterMs ?? 0;
      const delay = Math.max(0, imp.delayMs + (jitter > 0 ? (Math.random() * 2 - 1) * jitter : 0));
      line.push(delay, () => {
        c.forwarded++;
        c.bytes += chunk.length;
        if (!to.destroyed) to.write(chunk);
      });
    };
    client.on('data', (chunk: Buffer) => delayOnly('up', upLine, chunk, server));
    server.on('data', (chunk: Buffer) => delayOnly('down', downLine, chunk, client));
    client.on('error', end);
    server.on('error', end);
    client.on('close', end);
    server.on('close', end);
  });

  return {
    port,
    listenHost,
    targetHost,
    set(impairment) {
      if (impairment.up) current.up = { ...NONE, ...impairment.up };
      if (impairment.down) current.down = { ...NONE, ...impairment.down };
    },
    impairment: () => ({ up: { ...current.up }, down: { ...current.down } }),
    counters: () => ({
      up: { ...count.up },
      down: { ...count.down },
      udpOpened: count.udpOpened,
      tcpOpened: count.tcpOpened,
      udpOpen: paths.size,
      tcpOpen: tcpPairs.size,
      loopDelayMs: {
        p50: Math.round(loop.percentile(50) / 1e5) / 10,
        p99: Math.round(loop.percentile(99) / 1e5) / 10,
        max: Math.round(loop.max / 1e5) / 10,
      },
      maxLateMs: Math.round(late.maxMs * 10) / 10,
    }),
    resetCounters() {
      count = { up: counters(), down: counters(), udpOpened: 0, tcpOpened: 0 };
      loop.reset();
      late.maxMs = 0;
    },
    async close() {
      clearInterval(sweeper);
      loop.disable();
      for (const key of [...paths.keys()]) closePath(key);
      for (const pair of tcpPairs) {
        pair.a.destroy();
        pair.b.destroy();
      }
      tcpPairs.clear();
      await Promise.all([
        new Promise<void>((ok) => listen.close(() => ok())),
        tcpServer ? new Promise<void>((ok) => tcpServer.close(() => ok())) : undefined,
      ]);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// On its own thread: the test process's event loop (signaling, Redis, the mediasoup channel,
// tsx) stalls for tens of milliseconds under load, which would add delay spikes of its own.

/** The relay, controlled from the test; the forwarding runs on a worker thread. */
export interface ImpairedRelay {
  readonly port: number;
  readonly listenHost: string;
  readonly targetHost: string;
  /** Resolves once packets arriving from now on get the new impairment. */
  set(impairment: Partial<Record<Direction, Impairment>>): Promise<void>;
  counters(): Promise<RelayStats>;
  resetCounters(): Promise<void>;
  close(): Promise<void>;
}

const WORKER_KIND = 'diemcau-impaired-relay';
type Op = 'set' | 'counters' | 'reset' | 'close';

export async function startImpairedRelay(
  options: ImpairedRelayOptions = {},
): Promise<ImpairedRelay> {
  // The worker loads this module again, through tsx (workers do not inherit --import=tsx).
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `(async () => {
    const { register } = await import(${JSON.stringify(tsx)});
    register();
    await import(${JSON.stringify(import.meta.url)});
  })().catch((err) => { console.error(err); process.exit(1); });`;
  const worker = new Worker(bootstrap, {
    eval: true,
    workerData: { kind: WORKER_KIND, options },
  });
  const pending = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
  let nextId = 0;
  let failed: Error | undefined;
  const ready = new Promise<{ port: number; listenHost: string; targetHost: string }>(
    (resolve, reject) => {
      worker.on(
        'message',
        (m: { ready?: never; id?: number; result?: unknown; error?: string }) => {
          if (m.ready) return resolve(m.ready);
          const call = pending.get(m.id!);
          pending.delete(m.id!);
          if (m.error) call?.fail(new Error(m.error));
          else call?.ok(m.result);
        },
      );
      const fail = (err: Error) => {
        failed = err;
        reject(err);
        for (const call of pending.values()) call.fail(err);
        pending.clear();
      };
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`impaired relay thread exited (${code})`)));
    },
  );
  const call = <T>(op: Op, arg?: unknown) =>
    new Promise<T>((ok, fail) => {
      if (failed) return fail(failed);
      const id = nextId++;
      pending.set(id, { ok: ok as (v: unknown) => void, fail });
      worker.postMessage({ id, op, arg });
    });
  const where = await ready;
  return {
    ...where,
    set: (impairment) => call('set', impairment),
    counters: () => call('counters'),
    resetCounters: () => call('reset'),
    async close() {
      if (failed) return;
      await call('close').catch(() => {});
      await worker.terminate();
    },
  };
}

if (!isMainThread && workerData?.kind === WORKER_KIND) {
  const port = parentPort!;
  const core = await startRelayCore(workerData.options as ImpairedRelayOptions);
  port.on('message', async (m: { id: number; op: Op; arg?: unknown }) => {
    try {
      let result: unknown;
      if (m.op === 'set') core.set(m.arg as Partial<Record<Direction, Impairment>>);
      else if (m.op === 'counters') result = core.counters();
      else if (m.op === 'reset') core.resetCounters();
      else if (m.op === 'close') await core.close();
      port.postMessage({ id: m.id, result });
    } catch (err) {
      port.postMessage({ id: m.id, error: (err as Error).message });
    }
  });
  port.postMessage({
    ready: { port: core.port, listenHost: core.listenHost, targetHost: core.targetHost },
  });
}
