import type { Socket } from 'socket.io-client';
import type {
  EndpointRole,
  MediaSource,
  NotificationPayload,
  RequestAnswer,
  RequestName,
  RequestPayload,
  SessionState,
} from '../protocol/socket.js';
import { joinWithRetry, openSocket, request, type SignalingFigures } from './endpointSignaling.js';
import type { EmulatedEndpointOptions, JoinTimings } from './endpointTypes.js';
import { LightTransport, type RemoteTransportParameters } from './light/LightTransport.js';
import { RtpStream } from './light/RtpStream.js';
import { lightRtpCapabilities } from './light/rtpCapabilities.js';
import {
  nack,
  parseRtpHeader,
  pli,
  receiverReport,
  senderReports,
  transportCcFeedback,
  VP8_HEAD_BYTES,
} from './light/rtpWire.js';
import type { ReceiveFigures } from './receiveFigures.js';
import { type StatsMark, statsSince } from './statsReport.js';

const TWCC_URI = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';
/** mediasoup's bandwidth probation packets use this SSRC. */
const PROBATION_SSRC = 1234;
const FEEDBACK_MS = 100;
const REPORT_MS = 1000;

interface LightConsumer {
  consumerId: string;
  kind: 'audio' | 'video';
  role: EndpointRole;
  source: MediaSource;
  stream: RtpStream;
}

/** What a light site saw of the main point's video, beyond packet counts. */
export interface LightMediaCheck {
  keyFrameSize?: { width: number; height: number };
  temporalLayers: number[];
  nacksSent: number;
  plisSent: number;
  retransmitsUsed: number;
}

/**
 * A light emulated site: the real join (link → socket.io → join → a WebRtcTransport with ICE,
 * DTLS and SRTP against the worker's WebRtcServer → the consumers the server sends), receive
 * only, with media checked without decoding (light/RtpStream.ts) and answered as a browser
 * does: receiver reports every second, transport-cc feedback every 100 ms, NACK on a hole, PLI
 * when a frame cannot be completed. No libwebrtc: hundreds fit on one core.
 */
export class LightSite {
  readonly socket: Socket;
  readonly startedAt = performance.now();
  readonly timings: JoinTimings = {};
  readonly signalingFigures: SignalingFigures = {
    messagesIn: 0,
    bytesIn: 0,
    messagesOut: 0,
    bytesOut: 0,
  };
  readonly light = true;
  endpointId?: string;
  siteId?: string;
  session?: SessionState;
  error?: string;
  joinRetries = 0;
  private transport?: LightTransport;
  private twccId?: number;
  private readonly bySsrc = new Map<number, RtpStream>();
  private readonly byRtxSsrc = new Map<number, RtpStream>();
  private readonly consumers = new Map<string, LightConsumer>();
  private readonly rtcpSsrc = (Math.random() * 0xffffffff) >>> 0;
  private twcc = { next: -1, highest: -1, count: 0, arrivals: new Map<number, number>() };
  private timers: NodeJS.Timeout[] = [];
  private lastStats?: StatsMark;
  private closed = false;

  private constructor(private readonly options: EmulatedEndpointOptions) {
    this.socket = openSocket(options, this.signalingFigures);
    this.socket.on('newConsumer', (n: NotificationPayload<'newConsumer'>) => {
      void this.consume(n).catch((err) => this.fail(err));
    });
    this.socket.on('consumerClosed', ({ consumerId }: { consumerId: string }) =>
      this.forget(consumerId),
    );
    this.socket.on('sessionChanged', (state: SessionState) => {
      this.session = state;
    });
  }

  static async join(options: EmulatedEndpointOptions): Promise<LightSite> {
    for (let hop = 0; ; hop++) {
      const site = new LightSite(options);
      try {
        await site.setup();
        return site;
      } catch (err) {
        site.fail(err);
        site.close();
        const ownerUrl = (err as { ownerUrl?: unknown }).ownerUrl;
        if (typeof ownerUrl !== 'string' || hop >= 3) throw err;
        options = { ...options, url: ownerUrl };
      }
    }
  }

  request<N extends RequestName>(
    name: N,
    payload: RequestPayload<N>,
    timeoutMs = 20_000,
  ): Promise<RequestAnswer<N>> {
    return request(this.socket, name, payload, timeoutMs);
  }

  private fail(err: unknown): void {
    this.error ??= (err as Error).message ?? String(err);
  }

  private elapsed(at = performance.now()): number {
    return Math.round(at - this.startedAt);
  }

  private async setup(): Promise<void> {
    await new Promise<void>((ok, fail) => {
      this.socket.once('connect', () => ok());
      this.socket.once('connect_error', (err: Error & { data?: { details?: unknown } }) => {
        const details = err.data?.details as { ownerUrl?: string } | undefined;
        fail(Object.assign(new Error(`connect: ${err.message}`), { ownerUrl: details?.ownerUrl }));
      });
    });
    const joined = await joinWithRetry(this.socket, () => this.joinRetries++);
    this.timings.joinedMs = this.elapsed();
    this.endpointId = joined.endpointId;
    if (joined.siteId !== undefined) this.siteId = joined.siteId;
    this.session = joined.session;

    const info = await this.request('createTransport', { direction: 'recv' });
    const transport = await LightTransport.open(info as unknown as RemoteTransportParameters);
    this.transport = transport;
    transport.onRtp = (p) => this.onRtp(p);
    transport.onRtcp = (p) => this.onRtcp(p);
    transport.onState = (state) => {
      if (state === 'failed') this.fail(new Error('recv transport failed'));
    };
    await this.request('connectTransport', {
      transportId: info.transportId,
      dtlsParameters: (await LightTransport.dtlsParameters()) as never,
    });
    // As the page: capabilities go while ICE and DTLS run; consumers come when they are ready.
    const caps = this.request('setRtpCapabilities', {
      rtpCapabilities: lightRtpCapabilities(joined.routerRtpCapabilities as never) as never,
    });
    await transport.connect();
    this.timings.connectedMs = this.elapsed();
    await caps;
    this.timers.push(
      setInterval(() => this.feedback(), FEEDBACK_MS),
      setInterval(() => this.receiverReports(), REPORT_MS),
      // Like the page: what it receives, every 2 s (the control plane's steady-state load).
      setInterval(() => void this.reportStats(), 2000),
    );
  }

  private async consume(n: NotificationPayload<'newConsumer'>): Promise<void> {
    if (this.closed) return;
    const p = n.rtpParameters;
    const encoding = p.encodings?.[0];
    const codec = p.codecs.find((c) => !/\/rtx$/i.test(c.mimeType)) ?? p.codecs[0]!;
    if (encoding?.ssrc === undefined) throw new Error(`consumer ${n.consumerId}: no SSRC`);
    const twcc = p.headerExtensions?.find((h) => h.uri === TWCC_URI);
    if (twcc) this.twccId ??= twcc.id;
    const stream = new RtpStream(
      encoding.ssrc,
      n.kind,
      codec.clockRate ?? 90_000,
      encoding.rtx?.ssrc,
      {
        nack: (ssrc, seqs) => this.transport?.sendRtcp(nack(this.rtcpSsrc, ssrc, seqs)),
        pli: (ssrc) => this.transport?.sendRtcp(pli(this.rtcpSsrc, ssrc)),
      },
    );
    this.bySsrc.set(stream.ssrc, stream);
    if (stream.rtxSsrc !== undefined) this.byRtxSsrc.set(stream.rtxSsrc, stream);
    this.consumers.set(n.consumerId, {
      consumerId: n.consumerId,
      kind: n.kind,
      role: n.role,
      source: n.source,
      stream,
    });
    await this.request('resumeConsumer', { consumerId: n.consumerId });
    if (n.kind === 'video' && n.role === 'station' && this.options.layer !== undefined)
      await this.request('setConsumerLayers', {
        consumerId: n.consumerId,
        spatialLayer: this.options.layer,
      });
  }

  private forget(consumerId: string): void {
    const c = this.consumers.get(consumerId);
    if (!c) return;
    this.consumers.delete(consumerId);
    this.bySsrc.delete(c.stream.ssrc);
    if (c.stream.rtxSsrc !== undefined) this.byRtxSsrc.delete(c.stream.rtxSsrc);
  }

  private onRtp(packet: Buffer): void {
    const h = parseRtpHeader(packet, this.twccId);
    if (!h) return;
    const now = performance.now();
    if (h.twcc !== undefined) this.arrived(h.twcc, now);
    if (h.ssrc === PROBATION_SSRC) return;
    const srtp = this.transport?.srtp;
    const stream = this.bySsrc.get(h.ssrc);
    if (stream && srtp) {
      const ext = stream.extend(h.sequenceNumber);
      const head =
        stream.kind === 'video'
          ? srtp.head(
              packet,
              h.payloadOffset,
              h.ssrc,
              Math.floor(ext / 65536),
              h.sequenceNumber,
              VP8_HEAD_BYTES,
            )
          : undefined;
      stream.receive(h, ext, packet.length, head, now);
      if (stream.kind === 'video') this.timings.firstVideoPacketMs ??= this.elapsed(now);
      else this.timings.firstAudioPacketMs ??= this.elapsed(now);
      if (stream.firstFrameAt !== undefined)
        this.timings.firstFrameMs ??= this.elapsed(stream.firstFrameAt);
      return;
    }
    const rtxOf = this.byRtxSsrc.get(h.ssrc);
    if (rtxOf && srtp && packet.length - h.payloadOffset >= 12) {
      // RTX (RFC 4588): the payload starts with the original sequence number. The RTX stream
      // has its own sequence numbers and rollover counter.
      const head = srtp.head(
        packet,
        h.payloadOffset,
        h.ssrc,
        Math.floor(rtxOf.extendRtx(h.sequenceNumber) / 65536),
        h.sequenceNumber,
        16,
      );
      if (head.length >= 2) rtxOf.recovered(head.readUInt16BE(0), packet.length);
    }
  }

  private onRtcp(packet: Buffer): void {
    const now = performance.now();
    for (const sr of senderReports(packet))
      this.bySsrc.get(sr.ssrc)?.senderReport(sr.ntpMiddle, now);
  }

  /** A transport-wide sequence number arrived (every RTP packet on the transport carries one). */
  private arrived(seq16: number, now: number): void {
    const t = this.twcc;
    let ext = seq16;
    if (t.highest >= 0) {
      const base = t.highest - (t.highest % 65536);
      ext = base + seq16;
      if (ext < t.highest - 32768) ext += 65536;
      else if (ext > t.highest + 32768) ext -= 65536;
    }
    if (t.next < 0) t.next = ext;
    if (ext < t.next) return;
    if (ext > t.highest) t.highest = ext;
    t.arrivals.set(ext, Math.round(now * 1000));
  }

  /** Transport-cc feedback for what arrived since the last one; NACK retries. */
  private feedback(): void {
    const now = performance.now();
    for (const s of this.bySsrc.values()) s.tick(now);
    const t = this.twcc;
    if (t.next < 0 || t.highest < t.next || !this.transport) return;
    const arrivals: (number | undefined)[] = [];
    for (let s = t.next; s <= t.highest && arrivals.length < 4000; s++)
      arrivals.push(t.arrivals.get(s));
    const mediaSsrc = this.bySsrc.keys().next().value ?? 0;
    const fb = transportCcFeedback(this.rtcpSsrc, mediaSsrc, t.next, arrivals, t.count++);
    t.next += arrivals.length;
    for (const k of t.arrivals.keys()) if (k < t.next) t.arrivals.delete(k);
    if (fb) this.transport.sendRtcp(fb);
  }

  private receiverReports(): void {
    const now = performance.now();
    const blocks = [...this.bySsrc.values()]
      .map((s) => s.reportBlock(now))
      .filter((b) => b !== undefined);
    if (blocks.length) this.transport?.sendRtcp(receiverReport(this.rtcpSsrc, blocks));
  }

  private async reportStats(): Promise<void> {
    const { mark, report } = statsSince(await this.figures(), this.lastStats, performance.now());
    this.lastStats = mark;
    if (report) await this.request('reportStats', report).catch(() => {});
  }

  /** Cumulative figures of everything from one role; "frames" are whole frames, not decoded. */
  async figures(from: EndpointRole = 'station'): Promise<ReceiveFigures> {
    const out: ReceiveFigures = {
      videoPackets: 0,
      videoLost: 0,
      videoBytes: 0,
      framesDecoded: 0,
      keyFramesDecoded: 0,
      audioPackets: 0,
      audioLost: 0,
      audioBytes: 0,
    };
    for (const c of this.consumers.values()) {
      if (c.role !== from) continue;
      const f = c.stream.figures;
      if (c.kind === 'video') {
        out.videoPackets += f.packets;
        out.videoLost += c.stream.lost;
        out.videoBytes += f.bytes;
        out.framesDecoded += f.frames;
        out.keyFramesDecoded += f.keyFrames;
      } else {
        out.audioPackets += f.packets;
        out.audioLost += c.stream.lost;
        out.audioBytes += f.bytes;
      }
    }
    return out;
  }

  /** The main point's video as seen without decoding: picture size, layers, NACK/PLI sent. */
  mediaCheck(from: EndpointRole = 'station'): LightMediaCheck {
    const out: LightMediaCheck = {
      temporalLayers: [],
      nacksSent: 0,
      plisSent: 0,
      retransmitsUsed: 0,
    };
    for (const c of this.consumers.values()) {
      if (c.role !== from || c.kind !== 'video') continue;
      const s = c.stream;
      if (s.keyFrameSize) out.keyFrameSize = s.keyFrameSize;
      out.temporalLayers = [...s.temporalLayers].sort();
      out.nacksSent += s.figures.nacksSent;
      out.plisSent += s.figures.plisSent;
      out.retransmitsUsed += s.figures.retransmitsUsed;
    }
    return out;
  }

  receivedSources(from: EndpointRole = 'station'): MediaSource[] {
    return [...this.consumers.values()].filter((c) => c.role === from).map((c) => c.source);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.transport?.close();
    this.socket.close();
  }
}
