import { type ChildProcess, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import type { types } from 'mediasoup';
import { freeUdpPort } from '../../broadcast/ProgrammeFeed.js';
import { stopProcess } from '../../broadcast/stopProcess.js';
import type { EndpointAppData, MediaEndpoint } from '../../media/MediaEndpoint.js';
import type { MediaLogger } from '../../media/MediaLogger.js';
import { siteEndpointId } from '../../protocol/endpoints.js';
import type { MeetingSession } from '../../signaling/session/MeetingSession.js';
import { type FeedInput, type FeedOutput, feedPipeline } from './feedPipeline.js';

/** The feed's endpoint in the room (not a participant: nobody sees it in the list). */
export const FEED_ENDPOINT_ID = 'sip-feed';

export interface RoomFeedSettings {
  width: number;
  height: number;
  fps: number;
  videoKbps: number;
  gstLaunchBin: string;
}

type OutName = 'video' | 'g722' | 'pcmu' | 'pcma';

interface Output {
  spec: FeedOutput;
  transport: types.PlainTransport;
  producer: types.Producer;
}

const outCodecs: Record<OutName, types.RtpCodecParameters> = {
  video: {
    mimeType: 'video/H264',
    payloadType: 102,
    clockRate: 90000,
    parameters: {
      'packetization-mode': 1,
      'profile-level-id': '42e01f',
      'level-asymmetry-allowed': 1,
    },
    rtcpFeedback: [
      { type: 'nack', parameter: 'pli' },
      { type: 'ccm', parameter: 'fir' },
    ],
  },
  g722: { mimeType: 'audio/G722', payloadType: 9, clockRate: 8000 },
  pcmu: { mimeType: 'audio/PCMU', payloadType: 0, clockRate: 8000 },
  pcma: { mimeType: 'audio/PCMA', payloadType: 8, clockRate: 8000 },
};

interface Input {
  producerId: string;
  transport: types.PlainTransport;
  consumer: types.Consumer;
  spec: FeedInput;
}

/**
 * What the meeting's room systems receive, made once for all of them: a supervised gst-launch
 * process decodes the programme's picture (the main point's camera, or the floor site's) and
 * its sound (the main point and the floor site mixed), encodes one H.264 Constrained Baseline
 * stream and one G.722, PCMU and PCMA mix, and sends them back into the meeting's router as
 * producers of its own endpoint; each call consumes them. The process is rebuilt when the
 * programme's sources change (the floor moves) and restarted if it dies.
 */
export class RoomFeed {
  private readonly outputs = new Map<OutName, Output>();
  private readonly inputs = new Map<string, Input>();
  private child?: ChildProcess;
  private signature = '';
  private timer?: NodeJS.Timeout;
  private restartTimer?: NodeJS.Timeout;
  private closed = false;
  private syncing = Promise.resolve();
  private readonly log: MediaLogger;
  /** Processes started: the first, each source change and each restart after a crash. */
  starts = 0;

  private constructor(
    private readonly session: MeetingSession,
    private readonly endpoint: MediaEndpoint,
    private readonly settings: RoomFeedSettings,
    logger: MediaLogger,
  ) {
    this.log = logger.child({ component: 'sip-feed', meetingId: session.meetingId });
  }

  static async open(
    session: MeetingSession,
    settings: RoomFeedSettings,
    logger: MediaLogger,
  ): Promise<RoomFeed> {
    const endpoint = await session.room.addEndpoint(FEED_ENDPOINT_ID);
    const feed = new RoomFeed(session, endpoint, settings, logger);
    try {
      for (const name of Object.keys(outCodecs) as OutName[]) await feed.addOutput(name);
    } catch (err) {
      feed.close();
      throw err;
    }
    feed.sync();
    // The sources follow the session (floor, who publishes); a second is soon enough.
    feed.timer = setInterval(() => feed.sync(), 1000);
    return feed;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The producer a room receives for its negotiated codec. */
  producerFor(mimeType: string): types.Producer | undefined {
    const name = mimeType.split('/')[1]?.toLowerCase();
    const key: OutName | undefined =
      name === 'h264'
        ? 'video'
        : name === 'g722' || name === 'pcmu' || name === 'pcma'
          ? name
          : undefined;
    return key ? this.outputs.get(key)?.producer : undefined;
  }

  get mediaEndpoint(): MediaEndpoint {
    return this.endpoint;
  }

  private async addOutput(name: OutName): Promise<void> {
    const codec = outCodecs[name];
    const transport = await this.endpoint.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: true,
      comedia: true,
    });
    const ssrc = randomInt(1, 2 ** 31);
    const producer = await this.endpoint.produce(
      transport.id,
      codec.mimeType.startsWith('video') ? 'video' : 'audio',
      { codecs: [codec], encodings: [{ ssrc }] },
      `sip-feed-${name}`,
    );
    const spec: FeedOutput = {
      port: transport.tuple.localPort,
      bindPort: await freeUdpPort(),
      ssrc,
      payloadType: codec.payloadType,
    };
    this.outputs.set(name, { spec, transport, producer });
  }

  /** The producers the programme carries now: the floor site's, else the main point's. */
  private sources(): { video?: types.Producer; audio: types.Producer[] } {
    const of = (endpointId: string, source: string) => {
      const media = this.session.participant(endpointId)?.media;
      for (const p of media?.producers.values() ?? [])
        if (p.appData.source === source && !p.closed) return p;
      return undefined;
    };
    const floor = this.session.chair.floor;
    const floorId = floor ? siteEndpointId(floor) : undefined;
    const video = (floorId && of(floorId, 'camera')) || of('station', 'camera');
    const audio = [of('station', 'microphone'), floorId ? of(floorId, 'microphone') : undefined];
    return { ...(video ? { video } : {}), audio: audio.filter((p) => p !== undefined) };
  }

  /** Rebuilds the process when the sources changed (serialized). */
  sync(): void {
    this.syncing = this.syncing
      .then(() => this.syncNow())
      .catch((err: unknown) => this.log.warn({ err }, 'room feed not updated'));
  }

  private async syncNow(): Promise<void> {
    if (this.closed) return;
    const { video, audio } = this.sources();
    const signature = [video?.id ?? '-', ...audio.map((a) => a.id)].join(',');
    if (signature === this.signature && this.child) return;
    this.signature = signature;
    const wanted = new Set([video, ...audio].filter((p) => p !== undefined).map((p) => p.id));
    for (const [id, input] of this.inputs) {
      if (wanted.has(id)) continue;
      input.transport.close();
      this.inputs.delete(id);
    }
    for (const p of [video, ...audio]) if (p && !this.inputs.has(p.id)) await this.addInput(p);
    if (this.closed) return;
    await this.restart();
    await this.keyFrames();
  }

  private async addInput(producer: types.Producer): Promise<void> {
    const router = this.endpoint.router;
    const port = await freeUdpPort();
    const transport = await this.endpoint.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: true,
      comedia: false,
    });
    await transport.connect({ ip: '127.0.0.1', port });
    const caps: types.RtpCapabilities = {
      codecs: (router.rtpCapabilities.codecs ?? []).filter(
        (c) => !c.mimeType.toLowerCase().endsWith('/rtx'),
      ),
      headerExtensions: [],
    };
    const consumer = await this.session.room.consumeOn(
      this.endpoint,
      transport,
      caps,
      producer as types.Producer<EndpointAppData>,
      { appData: { source: 'sip-feed-input' }, preferredLayers: { spatialLayer: 2 } },
    );
    if (!consumer) {
      transport.close();
      return;
    }
    const codec = consumer.rtpParameters.codecs[0]!;
    this.inputs.set(producer.id, {
      producerId: producer.id,
      transport,
      consumer,
      spec: {
        port,
        payloadType: codec.payloadType,
        codec: codec.mimeType.split('/')[1]!,
        clockRate: codec.clockRate,
      },
    });
    consumer.once('producerclose', () => this.sync());
    await consumer.resume();
  }

  /** Asks the programme's camera for keyframes while the decoder starts. */
  private async keyFrames(): Promise<void> {
    for (const delay of [300, 800, 1500, 3000]) {
      setTimeout(() => {
        for (const input of this.inputs.values())
          if (input.consumer.kind === 'video' && !input.consumer.closed)
            void input.consumer.requestKeyFrame().catch(() => {});
      }, delay).unref();
    }
  }

  private async restart(): Promise<void> {
    // The old process holds the ports the new one binds: it is gone before the next starts.
    await this.stopChild();
    if (this.closed) return;
    const { video, audio } = this.sources();
    const videoInput = video ? this.inputs.get(video.id)?.spec : undefined;
    const audioInputs = audio.flatMap((p) => this.inputs.get(p.id)?.spec ?? []);
    const out = (name: OutName) => this.outputs.get(name)!.spec;
    const description = feedPipeline({
      ...(videoInput ? { video: videoInput } : {}),
      audio: audioInputs,
      width: this.settings.width,
      height: this.settings.height,
      fps: this.settings.fps,
      videoKbps: this.settings.videoKbps,
      out: { video: out('video'), g722: out('g722'), pcmu: out('pcmu'), pcma: out('pcma') },
    });
    // gst-launch takes the description as separate words (the caps are quoted, without spaces).
    const child = spawn(this.settings.gstLaunchBin, ['-q', ...description.split(' ')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.starts++;
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (this.closed) return;
      this.log.warn(
        { code, signal, stderr: stderr.trim() },
        'room feed process stopped; restarting',
      );
      this.restartTimer = setTimeout(() => {
        this.signature = '';
        this.sync();
      }, 1000);
    });
    this.log.info(
      { pid: child.pid, video: videoInput?.codec ?? 'black', audio: audioInputs.length },
      'room feed started',
    );
  }

  private stopChild(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    return stopProcess(child, 1000);
  }

  /** A room asked for a keyframe (SIP INFO): the encoder makes one every second anyway. */
  requestKeyFrame(): void {
    void this.keyFrames();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    void this.stopChild();
    this.endpoint.close('sip feed closed');
    this.session.room.removeEndpoint(FEED_ENDPOINT_ID, 'sip feed closed');
  }
}
