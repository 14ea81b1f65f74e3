import { randomBytes, randomInt } from 'node:crypto';
import { PlainIngest, plainH264, plainOpus } from '../../media/PlainIngest.js';
import { AppError, conflict, notFound } from '../../protocol/errors.js';
import type { StreamView } from '../../protocol/ingest.js';
import type { SignalingServer } from '../../signaling/SignalingServer.js';
import type { DataServices } from '../DataServices.js';
import type { Logger } from '../logger.js';
import type { IngestHolder } from './ingestIdentity.js';
import {
  announceProducer,
  closeIngest,
  type OpenedIngest,
  openIngest,
  type SecondPublisher,
} from './openIngest.js';
import { freeUdpPort, SrtGate } from './SrtGate.js';
import { type RelayStatus, StreamRelay } from './StreamRelay.js';

export type StreamProtocol = 'rtmp' | 'srt' | 'pull';

export interface StreamIngestsOptions {
  data: DataServices;
  signaling: SignalingServer;
  logger: Logger;
  secondPublisher: SecondPublisher;
  ffmpegBin: string;
  listenHost: string;
  /** The host encoders reach (the public URL's). */
  publicHost: string;
  rtmpPortBase: number;
  srtPortBase: number;
  streamsMax: number;
  videoKbps: number;
  /**
   * How long the encoder may be away before the page's camera comes back. Default 10 s: longer
   * than an SRT encoder takes to notice a lost listener (libsrt's 5 s peer idle timeout) and
   * call again, so a relay restart does not flap the sites between webcam and encoder.
   */
  graceMs?: number;
}

interface Stream {
  id: string;
  holder: IngestHolder;
  protocol: StreamProtocol;
  port?: number;
  opened: OpenedIngest;
  plain: PlainIngest;
  relay: StreamRelay;
  /** SRT: the public port, passing datagrams to FFmpeg on loopback. */
  gate?: SrtGate;
  grace?: NodeJS.Timeout;
  meter: { bytes: number; at: number; kbps: number };
}

/**
 * RTMP and SRT ingest: an endpoint's link opens a stream (a port FFmpeg listens on, or a URL
 * it pulls); the encoder's picture and sound reach the meeting through PlainTransports
 * (media/PlainIngest.ts) as that endpoint's camera and microphone while it sends. The stream key
 * is the endpoint's join-link token: revoking the link closes the stream.
 */
export class StreamIngests {
  private readonly streams = new Map<string, Stream>();
  private readonly log: Logger;
  private readonly meterTimer: NodeJS.Timeout;

  constructor(private readonly o: StreamIngestsOptions) {
    this.log = o.logger.child({ component: 'stream-ingest' });
    o.data.access.on('linkRevoked', ({ linkId }) => {
      for (const s of [...this.streams.values()])
        if (s.holder.linkId === linkId) void this.stop(s, 'link revoked');
    });
    this.meterTimer = setInterval(() => void this.measure(), 2000).unref();
  }

  private portFor(protocol: 'rtmp' | 'srt'): number {
    const base = protocol === 'rtmp' ? this.o.rtmpPortBase : this.o.srtPortBase;
    const used = new Set(
      [...this.streams.values()].filter((s) => s.protocol === protocol).map((s) => s.port),
    );
    for (let port = base; port < base + this.o.streamsMax; port++) if (!used.has(port)) return port;
    throw conflict({
      vi: 'Đã đủ số luồng RTMP/SRT máy chủ nhận cùng lúc',
      en: 'This server already receives as many RTMP/SRT streams as it may',
    });
  }

  /** Opens a stream for the holder's endpoint; the URL and key to give the encoder. */
  async open(
    holder: IngestHolder,
    protocol: StreamProtocol,
    key: string,
    pullUrl?: string,
  ): Promise<{ id: string; url: string; view: StreamView }> {
    if (this.streams.size >= this.o.streamsMax)
      throw conflict({
        vi: 'Đã đủ số luồng RTMP/SRT máy chủ nhận cùng lúc',
        en: 'This server already receives as many RTMP/SRT streams as it may',
      });
    for (const s of this.streams.values())
      if (
        s.holder.meetingId === holder.meetingId &&
        s.holder.identity.endpointId === holder.identity.endpointId
      )
        await this.stop(s, 'replaced by a new stream');
    const port = protocol === 'pull' ? undefined : this.portFor(protocol);
    const opened = await openIngest(this.o.signaling, holder, protocol, this.o.secondPublisher);
    const senderPorts = await Promise.all([0, 1, 2, 3].map(() => freeUdpPort()));
    const ssrcs = [randomInt(1, 2 ** 31), randomInt(1, 2 ** 31)];
    let plain: PlainIngest;
    let gate: SrtGate | undefined;
    try {
      if (protocol === 'srt') gate = await this.openGate(port!);
      plain = await PlainIngest.create(
        opened.media,
        [
          { kind: 'video', source: 'camera', codec: plainH264, ssrc: ssrcs[0]! },
          { kind: 'audio', source: 'microphone', codec: plainOpus, ssrc: ssrcs[1]! },
        ],
        [senderPorts[0]!, senderPorts[2]!],
      );
    } catch (err) {
      gate?.close();
      closeIngest(opened, 'stream refused');
      throw err;
    }
    const [video, audio] = plain.ports;
    const relay = new StreamRelay({
      ffmpegBin: this.o.ffmpegBin,
      input:
        protocol === 'pull'
          ? { protocol, url: pullUrl ?? '' }
          : gate
            ? { protocol, host: '127.0.0.1', port: gate.innerPort, key }
            : { protocol, host: this.o.listenHost, port: port!, key },
      video: {
        port: video!.port,
        senderPort: senderPorts[0]!,
        senderRtcpPort: senderPorts[1]!,
        ssrc: ssrcs[0]!,
        payloadType: plainH264.payloadType,
      },
      audio: {
        port: audio!.port,
        senderPort: senderPorts[2]!,
        senderRtcpPort: senderPorts[3]!,
        ssrc: ssrcs[1]!,
        payloadType: plainOpus.payloadType,
      },
      videoKbps: this.o.videoKbps,
      logger: this.log.child({
        meetingId: holder.meetingId,
        endpointId: holder.identity.endpointId,
      }),
    });
    const stream: Stream = {
      id: randomBytes(9).toString('base64url'),
      holder,
      protocol,
      ...(port !== undefined ? { port } : {}),
      opened,
      plain,
      relay,
      ...(gate ? { gate } : {}),
      meter: { bytes: 0, at: Date.now(), kbps: 0 },
    };
    relay.on('status', (status) => this.followRelay(stream, status));
    opened.session.once('closed', () => void this.stop(stream, 'session closed'));
    this.streams.set(stream.id, stream);
    const url =
      protocol === 'rtmp'
        ? `rtmp://${this.o.publicHost}:${port}/live/${key}`
        : protocol === 'srt'
          ? `srt://${this.o.publicHost}:${port}?passphrase=${key}&pbkeylen=16&latency=120000`
          : (pullUrl ?? '');
    this.log.info(
      { meetingId: holder.meetingId, endpointId: holder.identity.endpointId, protocol, port },
      'ingest stream opened',
    );
    return { id: stream.id, url, view: this.viewOf(stream) };
  }

  private async openGate(port: number): Promise<SrtGate> {
    try {
      return await SrtGate.open(this.o.listenHost, port, this.log);
    } catch (err) {
      this.log.warn({ port, err: (err as Error).message }, 'SRT port not opened');
      throw conflict({
        vi: `Không mở được cổng SRT ${port} (đang bị dùng?)`,
        en: `The SRT port ${port} could not be opened (in use?)`,
      });
    }
  }

  /** The encoder sends: its producers replace the page's; it left: they go after a grace time. */
  private followRelay(s: Stream, status: RelayStatus): void {
    // FFmpeg is gone: an SRT caller is told now, not after its idle timeout.
    if (status === 'restarting') s.gate?.relayStopped();
    if (status === 'live') {
      if (s.grace) clearTimeout(s.grace);
      s.grace = undefined;
      // A new FFmpeg starts new RTP sequence numbers and timestamps, which a receiver's jitter
      // buffer does not follow: the producers are renewed, so each site gets a fresh consumer.
      s.plain.stopProducing();
      s.plain
        .produce()
        .then((made) => {
          for (const producer of made) announceProducer(s.opened, producer);
        })
        .catch((err) => this.log.warn({ err: (err as Error).message }, 'ingest producer failed'));
      return;
    }
    if (status === 'restarting' && s.plain.producing && !s.grace)
      s.grace = setTimeout(() => {
        s.grace = undefined;
        if (s.relay.status !== 'live') s.plain.stopProducing();
      }, this.o.graceMs ?? 10_000).unref();
  }

  private async measure(): Promise<void> {
    for (const s of this.streams.values()) {
      const bytes = await s.plain.bytesReceived().catch(() => s.meter.bytes);
      const now = Date.now();
      s.meter.kbps = Math.max(0, Math.round(((bytes - s.meter.bytes) * 8) / (now - s.meter.at)));
      s.meter.bytes = bytes;
      s.meter.at = now;
    }
  }

  private viewOf(s: Stream): StreamView {
    const { lastError, ...figures } = s.relay.figures;
    return {
      id: s.id,
      endpointId: s.holder.identity.endpointId,
      protocol: s.protocol,
      status: s.relay.status,
      kbps: s.relay.status === 'live' ? s.meter.kbps : 0,
      ...figures,
      ...(lastError ? { lastError } : {}),
    };
  }

  list(meetingId: string): StreamView[] {
    return [...this.streams.values()]
      .filter((s) => s.holder.meetingId === meetingId)
      .map((s) => this.viewOf(s));
  }

  /** The stream's FFmpeg (tests kill it to see the restart). */
  pidOf(id: string): number | undefined {
    return this.streams.get(id)?.relay.pid;
  }

  async close(id: string, holder: IngestHolder): Promise<void> {
    const s = this.streams.get(id);
    if (!s || s.holder.meetingId !== holder.meetingId)
      throw notFound({ vi: 'Không có luồng này', en: 'No such stream' });
    if (s.holder.identity.endpointId !== holder.identity.endpointId)
      throw new AppError('forbidden', {
        vi: 'Luồng này thuộc điểm khác',
        en: 'This stream belongs to another endpoint',
      });
    await this.stop(s, 'closed by its endpoint');
  }

  private async stop(s: Stream, reason: string): Promise<void> {
    if (this.streams.get(s.id) !== s) return;
    this.streams.delete(s.id);
    if (s.grace) clearTimeout(s.grace);
    await s.relay.close();
    s.gate?.close();
    closeIngest(s.opened, reason);
    this.log.info(
      { meetingId: s.holder.meetingId, endpointId: s.holder.identity.endpointId, reason },
      'ingest stream closed',
    );
  }

  async closeAll(): Promise<void> {
    clearInterval(this.meterTimer);
    await Promise.all([...this.streams.values()].map((s) => this.stop(s, 'service stopping')));
  }
}
