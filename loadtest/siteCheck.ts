import { describeError } from '../client/request.js';
import type { CheckResult, ClientFigures } from '../protocol/check/index.js';
import type { CheckQueued } from '../protocol/check/queue.js';
import type { NotificationPayload } from '../protocol/socket.js';
import type { EmulatedEndpoint } from './EmulatedEndpoint.js';
import { type SyntheticSource, syntheticCamera, syntheticMicrophone } from './sources.js';

/*
 * An emulated technician: answers the server's check requests the way the page does (begin,
 * send the camera at the target bitrate, let the server measure the uplink while it measures
 * the looped-back downlink, submit), with a synthetic camera and microphone. The devices are
 * synthetic, so their figures are the sources' own: a 440 Hz tone of RMS level ~0.065 and a
 * gradient of mean luma ~140 (the browser page measures real devices).
 */

export interface TechnicianOptions {
  /** How long the page sends for (ms); the server's own default when omitted. */
  measureMs?: number;
  camera?: { width: number; height: number; fps: number };
  /** Close the transports once the check is over (an emulator carrying hundreds of sites). */
  releaseMedia?: boolean;
}

export interface TechnicianLog {
  /** performance.now() of each check request received. */
  requestedAt: number[];
  /** When the server accepted beginCheck (the slot was this site's). */
  begunAt?: number;
  finishedAt?: number;
  result?: CheckResult;
  /** Every place in line the server announced. */
  queued: CheckQueued[];
  /** beginCheck refusals while waiting, and failures. */
  errors: string[];
}

const MIC_LEVEL = 3000 / 32768 / Math.SQRT2;
const CAMERA_LUMA = 140;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class EmulatedTechnician {
  readonly log: TechnicianLog = { requestedAt: [], queued: [], errors: [] };
  private running?: Promise<void>;
  private readonly verdictWaiters: (() => void)[] = [];

  constructor(
    readonly endpoint: EmulatedEndpoint,
    private readonly options: TechnicianOptions = {},
  ) {
    endpoint.socket.on('checkRequested', (req: NotificationPayload<'checkRequested'>) => {
      this.log.requestedAt.push(performance.now());
      this.start(req.measureMs);
    });
    endpoint.socket.on('checkQueued', (q: CheckQueued) => this.log.queued.push(q));
  }

  /** Starts a check unless one is running (the page does the same). */
  start(measureMs?: number): void {
    this.running ??= this.run(measureMs)
      .catch((err) => void this.log.errors.push(describeError(err)))
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Resolves once this site has a stored verdict. */
  verdict(timeoutMs: number): Promise<CheckResult> {
    if (this.log.result) return Promise.resolve(this.log.result);
    return new Promise((ok, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`site ${this.endpoint.siteId}: no verdict in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.verdictWaiters.push(() => {
        clearTimeout(timer);
        ok(this.log.result!);
      });
    });
  }

  private async run(requestedMs?: number): Promise<void> {
    const ep = this.endpoint;
    await ep.ensureMedia();
    const begin = await ep.request('beginCheck', {});
    this.log.begunAt = performance.now();
    const measureMs = Math.max(1000, this.options.measureMs ?? requestedMs ?? begin.measureMs);
    const cam = this.options.camera ?? { width: 640, height: 360, fps: 30 };
    const sources: SyntheticSource[] = [];
    const producers: Awaited<ReturnType<EmulatedEndpoint['publish']>>[] = [];
    try {
      const camera = syntheticCamera(cam.width, cam.height, cam.fps);
      const microphone = syntheticMicrophone();
      sources.push(camera, microphone);
      producers.push(
        await ep.publish(camera.track, 'camera', [{ maxBitrate: begin.targetKbps * 1000 }]),
        await ep.publish(microphone.track, 'microphone'),
      );
      await this.waitForLoopback(8000);
      // The encoder and the bandwidth estimate need a moment, as on the page: a second, then
      // until the send estimate reaches the target (at most 3 s more).
      await sleep(1000);
      const until = performance.now() + 3000;
      while (performance.now() < until) {
        const kbps = await ep.sendEstimateKbps();
        if (kbps !== undefined && kbps >= begin.targetKbps) break;
        await sleep(200);
      }
      const before = await ep.figures('site');
      const t0 = performance.now();
      const [uplink] = await Promise.all([
        ep.request(
          'measureUplink',
          { checkId: begin.checkId, durationMs: measureMs },
          measureMs + 10_000,
        ),
        sleep(measureMs),
      ]);
      const after = await ep.figures('site');
      const elapsed = Math.max(1, performance.now() - t0);
      const packets =
        after.videoPackets + after.audioPackets - before.videoPackets - before.audioPackets;
      const lost = Math.max(
        0,
        after.videoLost + after.audioLost - before.videoLost - before.audioLost,
      );
      const rttMs = await ep.sendRttMs();
      const figures: ClientFigures = {
        signalingMs: ep.timings.joinedMs ?? 0,
        candidateType: 'host',
        protocol: 'udp',
        downlink: {
          kbps: Math.round(
            ((after.videoBytes + after.audioBytes - before.videoBytes - before.audioBytes) * 8) /
              elapsed,
          ),
          lossPercent: packets + lost > 0 ? Math.round((lost / (packets + lost)) * 1000) / 10 : 0,
          // libwebrtc for Node gives no per-stream jitter here; the server measures the uplink's.
          jitterMs: 0,
          ...(rttMs !== undefined ? { rttMs: Math.round(rttMs) } : {}),
          framesDecoded: Math.max(0, after.framesDecoded - before.framesDecoded),
          durationMs: Math.round(elapsed),
        },
        micLevel: MIC_LEVEL,
        cameraLuma: CAMERA_LUMA,
      };
      void uplink;
      const answer = await ep.request('submitCheck', { checkId: begin.checkId, figures });
      this.log.result = answer.result;
      this.log.finishedAt = performance.now();
      for (const w of this.verdictWaiters.splice(0)) w();
    } catch (err) {
      await ep.request('abortCheck', { checkId: begin.checkId }).catch(() => {});
      throw err;
    } finally {
      for (const p of producers) await ep.unpublish(p);
      for (const s of sources) s.stop();
      if (this.options.releaseMedia) ep.releaseMedia();
    }
  }

  private async waitForLoopback(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      const own = this.endpoint.ownLoopback();
      if (own.some((r) => r.source === 'camera') && own.some((r) => r.source === 'microphone'))
        return;
      await sleep(100);
    }
    throw new Error('the server did not loop the stream back');
  }
}
