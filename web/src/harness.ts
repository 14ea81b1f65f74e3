import {
  type CheckOutcome,
  onCheckRequested,
  runConnectionCheck,
} from '../client/ConnectionCheck.js';
import { MeetingClient, type RemoteTrack, RequestError } from '../client/MeetingClient.js';

/*
 * A bare page around the same MeetingClient the real pages use: tests and diagnostics start an
 * endpoint here, with real devices (fake ones in headless Chromium), and read what it decodes.
 */

interface StartOptions {
  token: string;
  send?: boolean;
  /** A colour draws a synthetic camera of that colour (tests tell sources apart by it). */
  camera?: boolean | { width: number; height: number; color?: string };
  microphone?: boolean;
}

/** A camera of one flat colour with a moving square, so the encoder keeps sending frames. */
function colourCamera(width: number, height: number, color: string): MediaStreamTrack {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const g = canvas.getContext('2d')!;
  let x = 0;
  setInterval(() => {
    g.fillStyle = color;
    g.fillRect(0, 0, width, height);
    g.fillStyle = '#808080';
    g.fillRect(x, height / 2 - 8, 16, 16);
    x = (x + 4) % width;
  }, 33);
  return canvas.captureStream(30).getVideoTracks()[0]!;
}

const media = new Map<string, HTMLMediaElement>();

function attach(remote: RemoteTrack): void {
  const el = document.createElement(remote.kind === 'video' ? 'video' : 'audio');
  el.autoplay = true;
  el.muted = remote.kind === 'video';
  (el as HTMLVideoElement).playsInline = true;
  el.srcObject = new MediaStream([remote.track]);
  el.dataset.endpoint = remote.endpointId;
  el.dataset.source = remote.source;
  if (remote.kind === 'video') (el as HTMLVideoElement).width = 320;
  document.body.append(el);
  media.set(remote.consumerId, el);
  void el.play().catch(() => {});
}

function detach(remote: RemoteTrack): void {
  media.get(remote.consumerId)?.remove();
  media.delete(remote.consumerId);
}

let client: MeetingClient | undefined;
const tracks: { camera?: MediaStreamTrack; microphone?: MediaStreamTrack } = {};
const checks: (CheckOutcome | { error: string })[] = [];
const log: string[] = [];

async function start(opts: StartOptions): Promise<void> {
  client = new MeetingClient({ token: opts.token, send: opts.send !== false });
  client.on('trackAdded', attach);
  client.on('trackRemoved', detach);
  for (const e of [
    'state',
    'replaced',
    'revoked',
    'ended',
    'mutedByChair',
    'floorGranted',
    'floorRevoked',
  ] as const) {
    // Reasons are text in both languages: the log keeps the Vietnamese.
    client.on(e, (v) =>
      log.push(`${e}:${typeof v === 'object' && v !== null && 'vi' in v ? v.vi : String(v)}`),
    );
  }
  client.on('error', (err) => log.push(`error:${err.message}`));
  client.subscribe('recordingChanged', (s) => log.push(`recordingChanged:${s.recording}`));
  const colour = typeof opts.camera === 'object' ? opts.camera.color : undefined;
  if (opts.camera || opts.microphone) {
    const wantDevice = opts.microphone === true || (opts.camera && !colour);
    const stream = wantDevice
      ? await navigator.mediaDevices.getUserMedia({
          audio: opts.microphone === true,
          video:
            opts.camera && !colour
              ? {
                  ...(typeof opts.camera === 'object' ? opts.camera : { width: 1280, height: 720 }),
                  frameRate: 30,
                }
              : false,
        })
      : new MediaStream();
    const video =
      colour && typeof opts.camera === 'object'
        ? colourCamera(opts.camera.width, opts.camera.height, colour)
        : stream.getVideoTracks()[0];
    const audio = stream.getAudioTracks()[0];
    if (video) await client.publish(video, 'camera');
    if (audio) await client.publish(audio, 'microphone');
    if (video) tracks.camera = video;
    if (audio) tracks.microphone = audio;
  }
}

/** Runs the connection check with this page's devices; the speaker question answers `speakers`. */
async function runCheck(
  opts: { speakers?: boolean; measureMs?: number } = {},
): Promise<CheckOutcome> {
  if (!client || !tracks.camera || !tracks.microphone)
    throw new Error('start with camera and microphone first');
  return runConnectionCheck({
    client,
    camera: tracks.camera,
    microphone: tracks.microphone,
    confirmSpeakers: async (play) => {
      await play();
      return opts.speakers ?? true;
    },
    ...(opts.measureMs ? { measureMs: opts.measureMs } : {}),
  });
}

/** Runs a check whenever the server asks (window opened, re-check, IT); results land in `checks`. */
function autoCheck(): void {
  if (!client) throw new Error('start first');
  onCheckRequested(client, (req) => {
    log.push(`checkRequested:${req.kind}`);
    runCheck(req.measureMs ? { measureMs: req.measureMs } : {}).then(
      (outcome) => checks.push(outcome),
      (err: Error) => checks.push({ error: err.message }),
    );
  });
}

/** Totals of what this page receives from one endpoint's source (0 when not receiving it). */
async function receivedFrom(endpointId: string, source: string) {
  const c = client;
  if (!c) return { framesDecoded: 0, packetsReceived: 0, bytesReceived: 0, present: false };
  for (const r of c.remote.values()) {
    if (r.endpointId === endpointId && r.source === source)
      return { ...(await c.trackStats(r.consumerId)), present: true, consumerId: r.consumerId };
  }
  return { framesDecoded: 0, packetsReceived: 0, bytesReceived: 0, present: false };
}

declare global {
  interface Window {
    diemcau: { MeetingClient: typeof MeetingClient; RequestError: typeof RequestError };
    harness: {
      start: typeof start;
      receivedFrom: typeof receivedFrom;
      client: () => MeetingClient | undefined;
      log: string[];
      runCheck: typeof runCheck;
      autoCheck: typeof autoCheck;
      checks: typeof checks;
    };
  }
}

window.diemcau = { MeetingClient, RequestError };
window.harness = { start, receivedFrom, client: () => client, log, runCheck, autoCheck, checks };
document.body.dataset.ready = 'true';
