import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from '../logger.js';

/** A free UDP port on loopback (FFmpeg's own ports). */
export function freeUdpPort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createSocket('udp4');
    s.once('error', fail);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** One encoder calling the SRT port: its own socket towards FFmpeg, its SRT socket id. */
interface Caller {
  address: string;
  port: number;
  upstream: Socket;
  /** The caller's SRT socket id, learnt from what FFmpeg sends it (header word 3). */
  socketId?: number;
  lastSeen: number;
}

const MAX_CALLERS = 8;
const IDLE_MS = 30_000;

/**
 * SRT shutdown (control type 5) to one SRT socket: a 16-byte header and the 4 bytes of padding
 * libsrt itself sends. Control packets are not encrypted, so no passphrase is needed.
 */
export function srtShutdown(socketId: number): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt32BE(0x80050000, 0);
  b.writeUInt32BE(socketId >>> 0, 12);
  return b;
}

/**
 * The public SRT port, in front of the relay's FFmpeg (which listens on loopback): datagrams
 * are passed both ways unchanged. Why: when FFmpeg dies, an SRT caller learns it only after its
 * peer idle timeout (5 s in libsrt), then calls again, so the picture came back after 7–9 s.
 * The gate knows each caller's SRT socket id and tells it at once (an SRT shutdown from the
 * address it called), so an encoder that reconnects does so within a second.
 */
export class SrtGate {
  private readonly callers = new Map<string, Caller>();
  private readonly sweep: NodeJS.Timeout;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    /** Where FFmpeg listens (127.0.0.1). */
    readonly innerPort: number,
    private readonly log: Logger,
  ) {
    socket.on('message', (msg, from) => this.fromCaller(msg, from.address, from.port));
    socket.on('error', (err) => log.warn({ err: err.message }, 'SRT gate socket error'));
    this.sweep = setInterval(() => this.dropIdle(), IDLE_MS / 3).unref();
  }

  static async open(host: string, port: number, log: Logger): Promise<SrtGate> {
    const socket = createSocket('udp4');
    await new Promise<void>((ok, fail) => {
      socket.once('error', fail);
      socket.bind(port, host, () => {
        socket.off('error', fail);
        ok();
      });
    });
    return new SrtGate(socket, await freeUdpPort(), log.child({ component: 'srt-gate' }));
  }

  private fromCaller(msg: Buffer, address: string, port: number): void {
    if (this.closed || msg.length < 16) return;
    const key = `${address}:${port}`;
    let caller = this.callers.get(key);
    if (!caller) {
      // Full (someone knocking from many ports): the one quiet longest makes room, if quiet.
      if (this.callers.size >= MAX_CALLERS) this.dropQuietest();
      if (this.callers.size >= MAX_CALLERS) return;
      caller = this.addCaller(address, port);
      this.callers.set(key, caller);
    }
    caller.lastSeen = Date.now();
    caller.upstream.send(msg, this.innerPort, '127.0.0.1');
  }

  private addCaller(address: string, port: number): Caller {
    const upstream = createSocket('udp4');
    const caller: Caller = { address, port, upstream, lastSeen: Date.now() };
    upstream.on('message', (msg) => {
      if (this.closed || msg.length < 16) return;
      const dest = msg.readUInt32BE(12);
      if (dest !== 0) caller.socketId = dest;
      this.socket.send(msg, port, address);
    });
    // FFmpeg restarting: its port answers "unreachable" for a moment.
    upstream.on('error', () => {});
    upstream.bind(0, '127.0.0.1');
    return caller;
  }

  /**
   * FFmpeg stopped: every caller it had is told the connection is over (three times, in case
   * one is lost), so it calls again now rather than after its idle timeout.
   */
  relayStopped(): void {
    for (const [key, caller] of this.callers) {
      if (caller.socketId !== undefined) {
        const shutdown = srtShutdown(caller.socketId);
        for (let i = 0; i < 3; i++) this.socket.send(shutdown, caller.port, caller.address);
        this.log.info({ caller: key }, 'SRT caller told its listener restarted');
      }
      caller.upstream.close();
    }
    this.callers.clear();
  }

  private dropQuietest(): void {
    const [key, caller] = [...this.callers].sort((a, b) => a[1].lastSeen - b[1].lastSeen)[0] ?? [];
    if (key && caller && Date.now() - caller.lastSeen > 2000) {
      caller.upstream.close();
      this.callers.delete(key);
    }
  }

  private dropIdle(idleMs = IDLE_MS): void {
    const now = Date.now();
    for (const [key, caller] of this.callers)
      if (now - caller.lastSeen >= idleMs) {
        caller.upstream.close();
        this.callers.delete(key);
      }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweep);
    for (const caller of this.callers.values()) caller.upstream.close();
    this.callers.clear();
    this.socket.close();
  }
}
