import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import t, { type Test } from 'tap';
import type { StreamView } from '../../protocol/ingest.js';
import { launchChromium, waitFor } from '../helpers/browser.js';
import { type HarnessEndpoint, startEndpoint, waitForMedia } from '../helpers/endpoints.js';
import { decodedColour, near } from '../helpers/pagePixels.js';
import { startServiceStack } from '../helpers/serviceStack.js';

// FFmpeg as the hall's encoder: RTMP with B-frames (the service must re-encode) and SRT without
// (copied), each a flat colour the two Chromium sites must decode; killing the service's
// relay process must bring the picture back within 5 s.
const RED = '#d02010';
const GREEN = '#10b020';
const portBase = 21000 + (process.pid % 400) * 10;

/** An encoder that reconnects whenever its connection drops, as OBS and hardware encoders do. */
function encoder(t: Test, args: string[]): { stop(): void } {
  let child: ChildProcess | undefined;
  let stopped = false;
  const run = () => {
    if (stopped) return;
    child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', ...args], {
      stdio: 'ignore',
    });
    child.once('exit', () => {
      if (!stopped) setTimeout(run, 300);
    });
  };
  run();
  const stop = () => {
    stopped = true;
    child?.kill('SIGKILL');
  };
  t.teardown(stop);
  return { stop };
}

const colourSource = (hex: string) => [
  '-re',
  '-f',
  'lavfi',
  '-i',
  `color=c=0x${hex.slice(1)}:size=320x180:rate=30`,
  '-f',
  'lavfi',
  '-i',
  'sine=frequency=440:sample_rate=48000',
];

t.test('RTMP and SRT: the hall encoder reaches every site', async (t) => {
  t.setTimeout(90_000);
  const stack = await startServiceStack(t, {
    INGEST_LISTEN_HOST: '127.0.0.1',
    INGEST_RTMP_PORT_BASE: String(portBase),
    INGEST_SRT_PORT_BASE: String(portBase + 5),
    INGEST_VIDEO_KBPS: '500',
  });
  const { service: svc, meeting, districts } = stack;
  const station = stack.tokenOf('station');
  const api = (method: 'POST' | 'DELETE' | 'GET', path: string, body?: unknown) =>
    svc.app.inject({
      method,
      url: `/api/meetings/${meeting.id}/ingest${path}`,
      headers: { authorization: `Bearer ${station}` },
      ...(body !== undefined ? { payload: body as Record<string, unknown> } : {}),
    });
  const streams = async () => (await api('GET', '')).json<{ streams: StreamView[] }>().streams;

  const browser = await launchChromium(t);
  const chair = await startEndpoint(browser, svc.url, 'chair', {
    token: stack.tokenOf('chair'),
    send: false,
  });
  const sites: HarnessEndpoint[] = [];
  for (const [i, d] of districts.slice(0, 2).entries())
    sites.push(
      await startEndpoint(browser, svc.url, `site ${i + 1}`, {
        token: stack.tokenOf('technician', d.id),
        send: false,
      }),
    );
  await chair.request('startSession');

  const everySiteSees = async (colour: string, ms: number) => {
    for (const site of sites)
      await waitFor(
        async () => {
          const c = await decodedColour(site, 'station', 'camera');
          return c !== undefined && near(c.rgb, colour);
        },
        ms,
        `${site.name} decoding ${colour}`,
      );
  };

  /** Kills the service's FFmpeg; the time until every site decodes new frames again. */
  const killRelay = async (t: Test, id: string): Promise<number> => {
    const pid = svc.ingest.streams.pidOf(id);
    t.ok(pid, 'the relay runs');
    const killedAt = Date.now();
    process.kill(pid!, 'SIGKILL');
    // Frames already in the sites' jitter buffers are not the picture coming back.
    await sleep(300);
    await Promise.all(sites.map((site) => waitForMedia(site, 'station', 'camera', 15_000)));
    return Date.now() - killedAt;
  };

  await t.test('RTMP with B-frames: re-encoded', async (t) => {
    const opened = await api('POST', '/streams', { protocol: 'rtmp' });
    t.equal(opened.statusCode, 201, 'the station opens an RTMP stream');
    const { id, url } = opened.json<{ id: string; url: string }>();
    t.match(
      url,
      /^rtmp:\/\/[^/]+:\d+\/live\//,
      `URL for the encoder: ${url.replace(station, '***')}`,
    );
    // Someone who knows the port but not the key: FFmpeg's listener would take any stream name.
    // Tried until the listener has answered it (the first try may come before it listens).
    const intrude = () =>
      new Promise<number | null>((ok) =>
        spawn(
          'ffmpeg',
          [
            ...['-hide_banner', '-loglevel', 'error', '-nostdin', ...colourSource(GREEN)],
            ...['-t', '5', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-f', 'flv'],
            url.replace('localhost', '127.0.0.1').replace(/\/live\/.*$/, '/live/khong-phai-khoa'),
          ],
          { stdio: 'ignore' },
        ).once('exit', ok),
      );
    const stationProducers = () =>
      svc.signaling.session(meeting.id)?.participant('station')?.producers.length ?? 0;
    let refused = false;
    let reached = 0;
    for (let i = 0; i < 10 && !refused; i++) {
      await intrude();
      reached = Math.max(reached, stationProducers());
      refused = /without the stream key/.test((await streams())[0]?.lastError ?? '');
      if (!refused) await sleep(500);
    }
    t.ok(refused, 'a publisher without the stream key is cut off, and IT sees why');
    t.equal(reached, 0, 'nothing of it reached the meeting');
    await waitFor(
      async () => (await streams())[0]?.status === 'waiting',
      15_000,
      'the listener back',
    );
    const enc = encoder(t, [
      ...colourSource(RED),
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-g', '30', '-pix_fmt', 'yuv420p'],
      ...['-x264-params', 'b-adapt=0:scenecut=0', '-b:v', '400k', '-c:a', 'aac', '-b:a', '64k'],
      ...['-f', 'flv', url.replace('localhost', '127.0.0.1')],
    ]);
    await everySiteSees(RED, 20_000);
    const [view] = await streams();
    t.equal(view?.mode, 'encode', 'B-frames seen: the stream is re-encoded');
    t.equal(view?.status, 'live', 'live on the IT board');
    t.same([view?.width, view?.height], [320, 180], 'its resolution');
    // The SFU's byte counters are read every 2 s: the first figure may not be in yet.
    const kbps = await waitFor(async () => (await streams())[0]?.kbps, 6000, 'a bitrate figure');
    t.ok((kbps ?? 0) > 0, `its bitrate (${kbps} kbps)`);
    const back = await killRelay(t, id);
    t.ok(back <= 5000, `the picture is back ${back} ms after the relay was killed`);
    await everySiteSees(RED, 2000);
    enc.stop();
    t.equal((await api('DELETE', `/streams/${id}`)).statusCode, 200, 'the station closes it');
    await waitFor(
      () =>
        (svc.signaling.session(meeting.id)?.participant('station')?.producers.length ?? 0) === 0,
      5000,
      'producers gone',
    );
  });

  await t.test('SRT without B-frames: copied', async (t) => {
    const opened = await api('POST', '/streams', { protocol: 'srt' });
    t.equal(opened.statusCode, 201, 'the station opens an SRT stream');
    const { id, url } = opened.json<{ id: string; url: string }>();
    const srtUrl = url.replace('localhost', '127.0.0.1');
    const intruder = spawn(
      'ffmpeg',
      [
        ...['-hide_banner', '-loglevel', 'error', '-nostdin', ...colourSource(GREEN), '-t', '3'],
        ...['-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'mpegts'],
        srtUrl.replace(/passphrase=[^&]+/, 'passphrase=wrong-passphrase-123'),
      ],
      { stdio: 'ignore' },
    );
    const code = await new Promise<number | null>((ok) => intruder.once('exit', ok));
    t.not(code, 0, 'a caller without the stream key is refused');
    const enc = encoder(t, [
      ...colourSource(GREEN),
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '30'],
      ...['-pix_fmt', 'yuv420p', '-b:v', '400k', '-c:a', 'aac', '-b:a', '64k'],
      ...['-f', 'mpegts', srtUrl],
    ]);
    await everySiteSees(GREEN, 20_000);
    const [view] = await streams();
    t.equal(view?.mode, 'copy', 'no B-frames: H.264 copied');
    // The service's SRT port (SrtGate) tells the caller at once that its listener went, rather
    // than leaving it to libsrt's 5 s peer idle timeout: the encoder calls again straight away.
    const back = await killRelay(t, id);
    t.ok(back <= 5000, `the picture is back ${back} ms after the relay was killed`);
    await everySiteSees(GREEN, 2000);
    enc.stop();
  });
});
