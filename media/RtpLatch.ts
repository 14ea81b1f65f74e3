import { createCipheriv, createHmac } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';

/*
 * The UDP ports a room system sends its RTP and RTCP to, in front of one mediasoup
 * PlainTransport (rtcpMux, connected to this latch's inner socket). It forwards every datagram
 * unchanged (SRTP stays encrypted end to end between the room and mediasoup) and:
 * - learns the room's SSRC from the first RTP packet, and a new one when the room changes it
 *   (mediasoup needs the SSRC in a producer's parameters; room systems rarely announce it);
 * - latches onto the address the room sends from (symmetric RTP: rooms behind NAT);
 * - splits mediasoup's muxed RTCP back onto the room's RTCP port when the room does not mux;
 * - counts packets, so a silent call can be hung up;
 * - gives what goes to the room the payload types the room offered: a mediasoup consumer sends
 *   with the router's payload type, a room expects its own (RFC 3264). The header is rewritten;
 *   under SRTP (AES-CM + HMAC-SHA1, what room systems use) the payload stays as mediasoup
 *   encrypted it (the keystream does not depend on the payload type) and only the
 *   authentication tag is recomputed.
 */

/** SRTP's key derivation (RFC 3711 4.3.1, key derivation rate 0) for one label. */
export function deriveSrtpKey(
  masterKey: Buffer,
  masterSalt: Buffer,
  label: number,
  length: number,
): Buffer {
  const iv = Buffer.alloc(16);
  masterSalt.copy(iv, 0, 0, 14);
  iv[7]! ^= label;
  const cipher = createCipheriv(`aes-${masterKey.length * 8}-ctr`, masterKey, iv);
  return cipher.update(Buffer.alloc(length));
}

/** Re-signs outgoing SRTP packets after a header rewrite: HMAC-SHA1 over packet and ROC. */
class SrtpResigner {
  private readonly authKey: Buffer;
  private readonly roc = new Map<number, { roc: number; last: number }>();
  constructor(
    keyBase64: string,
    private readonly tagLength: number,
  ) {
    const master = Buffer.from(keyBase64, 'base64');
    this.authKey = deriveSrtpKey(master.subarray(0, 16), master.subarray(16, 30), 0x01, 20);
  }

  resign(packet: Buffer): Buffer {
    const ssrc = packet.readUInt32BE(8);
    const seq = packet.readUInt16BE(2);
    let state = this.roc.get(ssrc);
    if (!state) {
      state = { roc: 0, last: seq };
      this.roc.set(ssrc, state);
    } else {
      if (seq < state.last && state.last - seq > 0x8000) state.roc++;
      state.last = seq;
    }
    const body = packet.subarray(0, packet.length - this.tagLength);
    const roc = Buffer.alloc(4);
    roc.writeUInt32BE(state.roc >>> 0);
    const tag = createHmac('sha1', this.authKey).update(body).update(roc).digest();
    tag.copy(packet, packet.length - this.tagLength, 0, this.tagLength);
    return packet;
  }
}

export interface OutboundRewrite {
  /** mediasoup's payload type → the room's. */
  payloadTypes: ReadonlyMap<number, number>;
  /** Set when the line is SRTP (AES_CM_128_HMAC_SHA1_80 or _32): our key, as in the answer. */
  srtp?: { keyBase64: string; tagLength: number };
}

export interface RtpLatchOptions {
  /** Address the outer sockets bind to. */
  listenIp: string;
  /** Even ports of this range are tried for RTP (RTCP on the next one). */
  portMin: number;
  portMax: number;
  /** Where the room said it receives, until it has sent something. */
  remote: { ip: string; rtpPort: number; rtcpPort: number };
  rtcpMux: boolean;
}

export interface RtpLatchEvents {
  /** The first RTP packet of an SSRC (the first of the call, or the room changed it). */
  ssrc: [ssrc: number, payloadType: number];
  error: [Error];
}

/** RTCP packet types 200–206 (SR, RR, SDES, BYE, APP, RTPFB, PSFB) share the RTP header's 2nd byte. */
export function isRtcp(packet: Buffer): boolean {
  const pt = packet[1] ?? 0;
  return pt >= 192 && pt <= 223;
}

function bind(socket: Socket, port: number, ip: string): Promise<boolean> {
  return new Promise((ok) => {
    const onError = () => ok(false);
    socket.once('error', onError);
    socket.bind(port, ip, () => {
      socket.off('error', onError);
      ok(true);
    });
  });
}

export class RtpLatch extends EventEmitter<RtpLatchEvents> {
  private rtp!: Socket;
  private rtcp?: Socket;
  private inner!: Socket;
  private innerTarget?: { port: number };
  private remoteRtp: { address: string; port: number };
  private remoteRtcp: { address: string; port: number };
  private currentSsrc?: number;
  private rewrite?: { payloadTypes: ReadonlyMap<number, number>; resigner?: SrtpResigner };
  private closed = false;
  packetsIn = 0;
  packetsOut = 0;
  bytesIn = 0;
  lastPacketAt = 0;

  private constructor(private readonly options: RtpLatchOptions) {
    super();
    this.remoteRtp = { address: options.remote.ip, port: options.remote.rtpPort };
    this.remoteRtcp = { address: options.remote.ip, port: options.remote.rtcpPort };
  }

  static async open(options: RtpLatchOptions): Promise<RtpLatch> {
    const latch = new RtpLatch(options);
    await latch.bindAll();
    return latch;
  }

  get ssrc(): number | undefined {
    return this.currentSsrc;
  }

  /** The port announced in SDP (RTCP on port + 1 unless muxed). */
  get port(): number {
    return this.rtp.address().port;
  }

  /** The loopback port mediasoup's transport is connected to. */
  get innerPort(): number {
    return this.inner.address().port;
  }

  /** The mediasoup transport's own port: packets from the room go there. */
  connect(transportPort: number): void {
    this.innerTarget = { port: transportPort };
  }

  /** What goes to the room from now on carries the room's payload types. */
  setOutbound(rewrite: OutboundRewrite): void {
    this.rewrite = {
      payloadTypes: rewrite.payloadTypes,
      ...(rewrite.srtp
        ? { resigner: new SrtpResigner(rewrite.srtp.keyBase64, rewrite.srtp.tagLength) }
        : {}),
    };
  }

  /** A re-INVITE moved the room's media (or put it on hold with 0.0.0.0). */
  retarget(remote: RtpLatchOptions['remote']): void {
    this.remoteRtp = { address: remote.ip, port: remote.rtpPort };
    this.remoteRtcp = { address: remote.ip, port: remote.rtcpPort };
  }

  private async bindAll(): Promise<void> {
    const { portMin, portMax, listenIp, rtcpMux } = this.options;
    const span = Math.max(1, Math.floor((portMax - portMin) / 2));
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = portMin + 2 * Math.floor(Math.random() * span);
      const rtp = createSocket('udp4');
      if (!(await bind(rtp, port, listenIp))) {
        rtp.close();
        continue;
      }
      const rtcp = rtcpMux ? undefined : createSocket('udp4');
      if (rtcp && !(await bind(rtcp, port + 1, listenIp))) {
        rtp.close();
        rtcp.close();
        continue;
      }
      this.rtp = rtp;
      if (rtcp) this.rtcp = rtcp;
      this.inner = createSocket('udp4');
      await bind(this.inner, 0, '127.0.0.1');
      rtp.on('message', (msg, from) => this.fromRoom(msg, from, false));
      rtcp?.on('message', (msg, from) => this.fromRoom(msg, from, true));
      this.inner.on('message', (msg) => this.fromSfu(msg));
      for (const s of [rtp, rtcp, this.inner]) s?.on('error', (err) => this.emit('error', err));
      return;
    }
    throw new Error(`no free RTP port pair in ${portMin}-${portMax}`);
  }

  private fromRoom(msg: Buffer, from: RemoteInfo, onRtcpPort: boolean): void {
    if (this.closed || msg.length < 12) return;
    const rtcp = onRtcpPort || isRtcp(msg);
    // Symmetric RTP: answer where the room really sends from.
    if (onRtcpPort) this.remoteRtcp = { address: from.address, port: from.port };
    else {
      this.remoteRtp = { address: from.address, port: from.port };
      if (this.options.rtcpMux) this.remoteRtcp = this.remoteRtp;
    }
    if (!rtcp) {
      this.packetsIn++;
      this.bytesIn += msg.length;
      this.lastPacketAt = Date.now();
      const ssrc = msg.readUInt32BE(8);
      if (ssrc !== this.currentSsrc) {
        this.currentSsrc = ssrc;
        this.emit('ssrc', ssrc, msg[1]! & 0x7f);
      }
    }
    if (this.innerTarget) this.inner.send(msg, this.innerTarget.port, '127.0.0.1');
  }

  private fromSfu(msg: Buffer): void {
    if (this.closed || msg.length < 8) return;
    // On hold (c=0.0.0.0) or before a delayed offer's answer, nothing goes out.
    if (this.remoteRtp.address === '0.0.0.0') return;
    if (isRtcp(msg)) {
      const to = this.remoteRtcp;
      (this.rtcp ?? this.rtp).send(msg, to.port, to.address);
    } else {
      this.packetsOut++;
      const to = this.rewrite?.payloadTypes.get(msg[1]! & 0x7f);
      if (to !== undefined && to !== (msg[1]! & 0x7f)) {
        msg[1] = (msg[1]! & 0x80) | to;
        this.rewrite?.resigner?.resign(msg);
      }
      this.rtp.send(msg, this.remoteRtp.port, this.remoteRtp.address);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [this.rtp, this.rtcp, this.inner]) {
      try {
        s?.close();
      } catch {
        // already closed
      }
    }
    this.removeAllListeners();
  }
}
