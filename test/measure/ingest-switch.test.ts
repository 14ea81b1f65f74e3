import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { StreamView } from '../../protocol/ingest.js';
import type { SessionState } from '../../protocol/socket.js';
import { launchChromium, openPage, tempDir, waitFor } from '../helpers/browser.js';
import { startEndpoint } from '../helpers/endpoints.js';
import { decodedColour, near } from '../helpers/pagePixels.js';
import { freeRtcPortBase } from '../helpers/ports.js';
import { startServiceStack } from '../helpers/serviceStack.js';

// The real station page (its webcam a flat blue, Chromium's fake camera reading a Y4M file) and
// the hall's encoder (FFmpeg over RTMP, flat red) on the same main point: the station page shows
// which is live, the encoder's bitrate and resolution, and switches webcam → encoder → webcam
// while the session, the floor and the encoder's stream go on. A Chromium site must decode each
// switch (its pixels change colour).
const BLUE = '#2040d0';
const RED = '#d02010';

/** A flat-colour Y4M clip for --use-file-for-fake-video-capture (BT.601, limited range). */
function colourClip(dir: string, hex: string, width = 320, height = 180): string {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255) as [
    number,
    number,
    number,
  ];
  const y = Math.round(16 + 65.481 * r + 128.553 * g + 24.966 * b);
  const u = Math.round(128 - 37.797 * r - 74.203 * g + 112 * b);
  const v = Math.round(128 + 112 * r - 93.786 * g - 18.214 * b);
  const path = join(dir, 'webcam.y4m');
  const fd = openSync(path, 'w');
  writeSync(fd, `YUV4MPEG2 W${width} H${height} F30:1 Ip A1:1 C420jpeg\n`);
  const frame = Buffer.concat([
    Buffer.alloc(width * height, y),
    Buffer.alloc((width * height) / 4, u),
    Buffer.alloc((width * height) / 4, v),
  ]);
  for (let i = 0; i < 4; i++) {
    writeSync(fd, 'FRAME\n');
    writeSync(fd, frame);
  }
  closeSync(fd);
  return path;
}

t.test('the station page switches between its webcam and the encoder', async (t) => {
  t.setTimeout(150_000);
  const portBase = await freeRtcPortBase(10, '127.0.0.1');
  const stack = await startServiceStack(t, {
    INGEST_LISTEN_HOST: '127.0.0.1',
    INGEST_RTMP_PORT_BASE: String(portBase),
    INGEST_SRT_PORT_BASE: String(portBase + 5),
  });
  const { service: svc, meeting, districts } = stack;
  const stationToken = stack.tokenOf('station');
  const streams = async () =>
    (
      await svc.app.inject({
        method: 'GET',
        url: `/api/meetings/${meeting.id}/ingest`,
        headers: { authorization: `Bearer ${stationToken}` },
      })
    ).json<{ streams: StreamView[] }>().streams;

  const browser = await launchChromium(t, [
    `--use-file-for-fake-video-capture=${colourClip(tempDir(t, 'diemcau-webcam-'), BLUE)}`,
  ]);
  const chair = await startEndpoint(browser, svc.url, 'chair', {
    token: stack.tokenOf('chair'),
    send: false,
  });
  const site = await startEndpoint(browser, svc.url, 'site', {
    token: stack.tokenOf('technician', districts[0]!.id),
    send: false,
  });
  await chair.request('startSession');
  const floorSite = districts[1]!.id;
  await chair.request('grantFloor', { siteId: floorSite });

  const { page: station } = await openPage(browser, `${svc.url}/join/${stationToken}`, 'station');
  const siteSees = async (colour: string, ms: number, what: string) => {
    const started = Date.now();
    await waitFor(
      async () => {
        const c = await decodedColour(site, 'station', 'camera');
        return c !== undefined && near(c.rgb, colour);
      },
      ms,
      `the site decoding ${what} (${colour})`,
    );
    return Date.now() - started;
  };
  await siteSees(BLUE, 30_000, 'the station page’s webcam');
  t.equal(
    await station.getAttribute('[data-testid=feed-live]', 'data-live'),
    'page',
    'the station page says its webcam is live',
  );

  // The hall's encoder: the station page opens an RTMP stream and shows OBS's server and key;
  // FFmpeg publishes H.264 without B-frames (copied), a flat red.
  await station.click('[data-testid=encoder-setup] summary');
  await station.click('[data-testid=open-rtmp]');
  const [server, key] = (await waitFor(
    async () => {
      const codes = await station.locator('[data-testid=encoder-stream] code').allTextContents();
      return codes.length === 2 ? codes : undefined;
    },
    10_000,
    'the RTMP server and key on the station page',
  )) as string[];
  t.match(server, /^rtmp:\/\/[^/]+:\d+\/live$/, 'the station page shows the RTMP server');
  t.equal(key, stationToken, 'and the stream key (its link token)');
  const url = `${server}/${key}`;
  let encoder: ChildProcess | undefined = spawn(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-f', 'lavfi', '-i'],
      `color=c=0x${RED.slice(1)}:size=320x180:rate=30`,
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '30'],
      ...['-pix_fmt', 'yuv420p', '-b:v', '300k', '-c:a', 'aac', '-b:a', '64k', '-f', 'flv'],
      url.replace('localhost', '127.0.0.1'),
    ],
    { stdio: 'ignore' },
  );
  t.teardown(() => encoder?.kill('SIGKILL'));
  await siteSees(RED, 30_000, 'the encoder, live as soon as it sends');
  await waitFor(
    async () => (await station.getAttribute('[data-testid=feed-live]', 'data-live')) === 'encoder',
    5000,
    'the station page showing the encoder live',
  );
  const resolution = await waitFor(
    async () => {
      const text = await station.textContent('[data-testid=feed-resolution]').catch(() => null);
      return text?.includes('320×180') ? text : undefined;
    },
    10_000,
    'the encoder’s resolution on the station page',
  );
  const kbps = await waitFor(
    async () => {
      const text = await station.textContent('[data-testid=feed-kbps]').catch(() => null);
      const n = Number.parseInt(text ?? '', 10);
      return n > 0 ? n : undefined;
    },
    10_000,
    'the encoder’s bitrate on the station page',
  );
  t.pass(`the station page shows the encoder: ${kbps} kbps, ${resolution}`);

  const times: string[] = [];
  for (const [button, colour, live] of [
    ['feed-use-page', BLUE, 'page'],
    ['feed-use-encoder', RED, 'encoder'],
    ['feed-use-page', BLUE, 'page'],
  ] as const) {
    await station.click(`[data-testid=${button}]`);
    const ms = await siteSees(colour, 8000, `the ${live === 'page' ? 'webcam' : 'encoder'}`);
    times.push(`${live} ${ms} ms`);
    await waitFor(
      async () => (await station.getAttribute('[data-testid=feed-live]', 'data-live')) === live,
      5000,
      `the station page showing ${live} live`,
    );
  }
  t.pass(`the site decodes each switch: ${times.join(', ')} after the click`);

  const state = svc.signaling.session(meeting.id)?.state as SessionState;
  t.equal(state.status, 'live', 'the session went on');
  t.equal(state.floorSiteId, floorSite, 'the floor stayed with its site');
  const [view] = await streams();
  t.equal(view?.status, 'live', 'the encoder kept sending');
  t.equal(view?.restarts, 0, 'its relay never restarted');

  encoder.kill('SIGKILL');
  encoder = undefined;
});
