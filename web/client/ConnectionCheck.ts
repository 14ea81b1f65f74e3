import type { z } from 'zod';
import { MAX_PAGE_LAG_MS } from '../../protocol/check/computer.js';
import type {
  CheckResult,
  ClientFigures,
  DownlinkFigures,
  ReceiverFigures,
  SenderFigures,
  UplinkFigures,
} from '../../protocol/check/index.js';
import type { checkNotifications } from '../../protocol/check/socket.js';
import type { SiteReadiness } from '../../protocol/readiness.js';
import { notifications, type RequestAnswer } from '../../protocol/socket.js';
import { calibratedStream } from './calibratedStream.js';
import { ConnectionDropped, watchCheckConnection } from './checkConnection.js';
import { playTone, watchDevices } from './checkDevices.js';
import { measureDownlink, selectedPath, waitForSendEstimate } from './checkLink.js';
import { watchSender } from './checkStats.js';
import type { MeetingClient } from './MeetingClient.js';

/*
 * The technician's half of the connection check, on the same MeetingClient the page uses: the
 * site's real devices send through the SFU, the server measures what arrives (uplink) and loops
 * the stream back (downlink), the page judges its own microphone and camera and asks the
 * technician about the speakers. The server stores the verdict.
 */

export type CheckStep = 'begin' | 'connect' | 'warmup' | 'measure' | 'speakers' | 'submit' | 'done';

export interface CheckProgress {
  step: CheckStep;
  /** 0..1 over the whole check. */
  fraction: number;
}

export interface RunCheckOptions {
  client: MeetingClient;
  /** The devices the technician chose. */
  camera: MediaStreamTrack;
  microphone: MediaStreamTrack;
  /**
   * Plays the test tone (call `playTone`) and asks the technician whether they heard it.
   * Omitted: speakers are not asked about (automatic re-checks).
   */
  confirmSpeakers?: (playTone: () => Promise<void>) => Promise<boolean>;
  onProgress?: (progress: CheckProgress) => void;
  /** Shorter than the server's default, e.g. for a re-check. */
  measureMs?: number;
}

export interface CheckOutcome {
  result: CheckResult;
  readiness: SiteReadiness;
  /** The server's uplink answer, as measured (also inside result.figures). */
  uplink: UplinkFigures;
}

export { playTone } from './checkDevices.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A check gives up measuring at this many drops of its connection (it then says why). */
const MAX_DROPS = 3;
/** How long the check waits for the connection to come back (the server waits 45 s). */
const RECONNECT_MS = 30_000;

interface Measured {
  uplink: UplinkFigures;
  downlink: DownlinkFigures;
  receiver: ReceiverFigures;
  sender: SenderFigures;
  path: Awaited<ReturnType<typeof selectedPath>>;
}

/**
 * Runs one check from begin to the stored verdict. Restores the normal camera publication after.
 * A drop of the connection does not end it: the check waits for the client to reconnect, resumes
 * (same check id) and measures again; after MAX_DROPS drops it reports what it has, and the
 * server names the computer (its page kept time badly) or the connection.
 */
export async function runConnectionCheck(options: RunCheckOptions): Promise<CheckOutcome> {
  const { client } = options;
  const progress = (step: CheckStep, fraction: number) =>
    options.onProgress?.({ step, fraction: Math.min(1, Math.max(0, fraction)) });
  progress('begin', 0);
  const link = watchCheckConnection(client);
  /** Waits for the connection after a drop; false when it gave up. */
  const reconnected = async () => link.drops < MAX_DROPS && (await link.back(RECONNECT_MS));
  let begin: BeginAnswer | undefined;
  // The calibrated sender: the camera with noise mixed in (the encoder spends all it is given),
  // one encoding capped at the target, and the send path's estimate started at the target, so
  // the bitrate probes the link at once instead of waiting for the estimator to ramp up.
  const probe = calibratedStream(options.camera);
  try {
    // A drop before the answer: ask again once back (a second begin replaces the first). Without
    // a check there is nothing to report, so this tries longer than the measurement does.
    for (let tries = 1; ; tries++) {
      try {
        if (!(await link.back(RECONNECT_MS))) throw new ConnectionDropped();
        begin = await link.guard(() => client.request('beginCheck', {}));
        break;
      } catch (err) {
        if (!(err instanceof ConnectionDropped) || tries >= 2 * MAX_DROPS) throw err;
      }
    }
    const { checkId } = begin;
    const devices = watchDevices(options.camera, options.microphone);
    let measured: Measured | undefined;
    measuring: for (;;) {
      try {
        measured = await link.guard((alive) =>
          measureOnce(client, begin!, probe, options, progress, alive),
        );
        break;
      } catch (err) {
        // A page its computer holds up for seconds fails in many ways (a loopback that never
        // shows, a request that times out): whatever the step, it cannot measure the link.
        if (!(err instanceof ConnectionDropped) && link.lagMs < MAX_PAGE_LAG_MS) throw err;
        if (!(err instanceof ConnectionDropped)) break;
      }
      // Back with the same check: the server kept it and loops the re-created media back.
      for (;;) {
        if (!(await reconnected())) break measuring;
        try {
          await link.guard(() => client.request('resumeCheck', { checkId }));
          break;
        } catch (err) {
          if (!(err instanceof ConnectionDropped)) throw err;
        }
      }
    }
    const { micLevel, cameraLuma } = devices.stop();

    let speakersConfirmed: boolean | undefined;
    if (options.confirmSpeakers) {
      progress('speakers', 0.88);
      speakersConfirmed = await options.confirmSpeakers(playTone);
    }

    progress('submit', 0.95);
    const common = {
      signalingMs: client.timings.signalingMs ?? 0,
      micLevel,
      cameraLuma,
      ...(speakersConfirmed !== undefined ? { speakersConfirmed } : {}),
      pageLagMs: link.lagMs,
    };
    const figures: ClientFigures = measured
      ? {
          ...common,
          ...(client.timings.transports.send?.iceDtlsMs !== undefined
            ? { iceDtlsMs: client.timings.transports.send.iceDtlsMs }
            : {}),
          candidateType: measured.path.candidateType,
          protocol: measured.path.protocol,
          path: measured.path.path,
          ...(measured.path.relayPort !== undefined ? { relayPort: measured.path.relayPort } : {}),
          downlink: measured.downlink,
          sender: measured.sender,
          receiver: measured.receiver,
        }
      : {
          // The measurement never finished: nothing of the link is claimed.
          ...common,
          candidateType: 'unknown',
          protocol: 'unknown',
          downlink: { kbps: 0, lossPercent: 0, jitterMs: 0, framesDecoded: 0, durationMs: 0 },
          interrupted: true,
        };
    // The server answers the same submit twice alike: a drop before its answer costs nothing.
    let answer: Omit<CheckOutcome, 'uplink'>;
    for (let tries = 1; ; tries++) {
      try {
        if (!(await link.back(RECONNECT_MS))) throw new ConnectionDropped();
        answer = await link.guard(() => client.request('submitCheck', { checkId, figures }));
        break;
      } catch (err) {
        if (!(err instanceof ConnectionDropped) || tries >= MAX_DROPS) throw err;
      }
    }
    progress('done', 1);
    return { ...answer, uplink: measured?.uplink ?? answer.result.figures.uplink };
  } catch (err) {
    if (begin) await client.request('abortCheck', { checkId: begin.checkId }, 3000).catch(() => {});
    throw err;
  } finally {
    link.stop();
    // Back to the meeting's simulcast camera.
    await client.publish(options.camera, 'camera').catch(() => {});
    probe.stop();
  }
}

type BeginAnswer = RequestAnswer<'beginCheck'>;

/**
 * One go at the measurement: the calibrated camera and the microphone through the SFU and back,
 * a warm-up, then uplink (counted by the server), downlink (counted here) and the forced probe.
 * `alive()` throws once the connection dropped: a cut-short go stops before its next step.
 */
async function measureOnce(
  client: MeetingClient,
  begin: BeginAnswer,
  probe: ReturnType<typeof calibratedStream>,
  options: RunCheckOptions,
  progress: (step: CheckStep, fraction: number) => void,
  alive: () => void,
): Promise<Measured> {
  const measureMs = Math.max(1000, Math.min(options.measureMs ?? begin.measureMs, 30_000));
  // The encoder and bandwidth estimate need a moment to reach the target bitrate.
  const warmupMs = Math.min(3000, Math.round(measureMs * 0.3));
  progress('connect', 0.05);
  // Loopback consumers of the producers replaced below close soon; wait for the new ones.
  const stale = new Set(client.remote.keys());
  await client.publish(probe.track, 'camera', {
    maxBitrateBps: begin.targetKbps * 1000,
    sendBitrateKbps: { start: begin.targetKbps, max: begin.targetKbps },
  });
  alive();
  await client.publish(options.microphone, 'microphone');
  alive();
  const first = await waitForLoopback(client, stale, 8000);

  progress('warmup', 0.1);
  // The first keyframe may be lost on a lossy link: ask again rather than wait for Chromium's
  // own timeout, so the measurement starts on decoding video.
  await Promise.all([sleep(warmupMs), untilDecoding(client, first.camera, warmupMs)]);
  alive();
  // Started at the target, the estimate is there already on a good link; on a thin one it
  // never gets there, and waiting longer only delays the answer.
  await waitForSendEstimate(client, begin.targetKbps * 1000, 2000);
  // Chosen after the warm-up: by then the consumers of the replaced producers are gone.
  const own = await waitForLoopback(client, stale, 5000);
  alive();

  progress('measure', 0.25);
  const t0 = performance.now();
  const ticker = setInterval(
    () => progress('measure', 0.25 + 0.6 * ((performance.now() - t0) / measureMs)),
    500,
  );
  let uplink: UplinkFigures;
  let downlink: DownlinkFigures;
  let receiver: ReceiverFigures;
  const sender = await watchSender(client);
  let measuredSender: SenderFigures;
  try {
    [uplink, { downlink, receiver }] = await Promise.all([
      client.request(
        'measureUplink',
        { checkId: begin.checkId, durationMs: measureMs },
        measureMs + 10_000,
      ),
      measureDownlink(client, own, measureMs),
    ]);
  } finally {
    clearInterval(ticker);
    measuredSender = await sender.stop();
  }
  alive();
  const path = await selectedPath(client);

  // The bandwidth probe: the calibrated stream forced to the target (the send path's estimate
  // may not go below it), so the link, not the browser's congestion control, decides what
  // arrives; the server counts it. Loss during it is the probe overrunning a thin link, so it
  // is kept apart from the link figures above.
  progress('measure', 0.86);
  // Without a calibrated stream (no insertable streams) a forced camera could undershoot on a
  // still picture: no probe, the measurement above stands.
  const probeFigures = probe.calibrated
    ? await probeUplink(client, probe.track, begin.checkId, begin.targetKbps, alive)
    : {};
  alive();
  return { uplink, downlink, receiver, sender: { ...measuredSender, ...probeFigures }, path };
}

/**
 * Calls `start` whenever the server asks this site to check (window opened, re-check, IT's
 * "check now"), once the client is connected. Returns the unsubscribe function.
 */
export function onCheckRequested(
  client: MeetingClient,
  start: (request: z.infer<(typeof checkNotifications)['checkRequested']>) => void,
): () => void {
  const handler = (raw: unknown) => {
    client.pendingCheckRequest = undefined;
    const parsed = notifications.checkRequested.safeParse(raw);
    if (!parsed.success) return;
    const run = () => start(parsed.data);
    if (client.connectionState === 'connected') run();
    else {
      const off = client.on('state', (s) => {
        if (s === 'connected') {
          off();
          run();
        }
      });
    }
  };
  client.socket.on('checkRequested', handler);
  // Asked before this listener existed: answer it now.
  if (client.pendingCheckRequest !== undefined) handler(client.pendingCheckRequest);
  return () => void client.socket.off('checkRequested', handler);
}

/** How long the forced probe sends for, after a moment for the new producer to start. */
const PROBE_MS = 2500;
const PROBE_SETTLE_MS = 700;

async function probeUplink(
  client: MeetingClient,
  track: MediaStreamTrack,
  checkId: string,
  targetKbps: number,
  alive: () => void,
): Promise<{ probeKbps: number; probeSentKbps?: number }> {
  await client.publish(track, 'camera', {
    maxBitrateBps: targetKbps * 1000,
    sendBitrateKbps: { start: targetKbps, max: targetKbps, min: targetKbps },
  });
  await sleep(PROBE_SETTLE_MS);
  alive();
  const sender = await watchSender(client);
  let sentKbps: number | undefined;
  try {
    await client.request(
      'measureUplink',
      { checkId, durationMs: PROBE_MS, probe: true },
      PROBE_MS + 10_000,
    );
  } finally {
    ({ sentKbps } = await sender.stop());
  }
  return { probeKbps: targetKbps, ...(sentKbps !== undefined ? { probeSentKbps: sentKbps } : {}) };
}

/** Waits until the looped-back camera decodes, asking the server for a keyframe each second. */
async function untilDecoding(client: MeetingClient, consumerId: string, maxMs: number) {
  const deadline = performance.now() + maxMs;
  let asked = performance.now();
  while (performance.now() < deadline) {
    const stats = await client.trackStats(consumerId).catch(() => undefined);
    if (!stats || stats.framesDecoded > 0) return;
    if (performance.now() - asked >= 1000) {
      asked = performance.now();
      await client.request('requestKeyFrame', { consumerId }).catch(() => {});
    }
    await sleep(200);
  }
}

/** The consumer ids of this site's own camera and microphone, looped back by the server. */
async function waitForLoopback(client: MeetingClient, stale: Set<string>, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const own = [...client.remote.values()].filter(
      (r) => r.endpointId === client.endpointId && !stale.has(r.consumerId),
    );
    // The latest of each: an older one may belong to a producer just replaced.
    const camera = own.filter((r) => r.source === 'camera').at(-1);
    const microphone = own.filter((r) => r.source === 'microphone').at(-1);
    if (camera && microphone)
      return { camera: camera.consumerId, microphone: microphone.consumerId };
    await sleep(100);
  }
  throw new Error(
    'Không nhận lại được hình, tiếng từ máy chủ / The server did not send the stream back',
  );
}
