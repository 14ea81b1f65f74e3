// runs alone: real SIP clients on their own timers (SIPp's pauses, baresip's RTP), tested alone so far.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import type { Site } from '../../protocol/sites.js';
import { artifactPath, launchChromium, tempDir, waitFor } from '../helpers/browser.js';
import { startEndpoint, waitForMedia } from '../helpers/endpoints.js';
import { freePort } from '../helpers/ports.js';
import { startSipStack } from '../helpers/sipp.js';

// A hall's room system, played by baresip (a video file as its camera, H.264 + G.722, SRTP,
// digest auth), calls a live meeting with a main point, a chair and a browser site in Chromium.
const run = promisify(execFile);
const actor = { kind: 'system' as const, name: 'test' };
const STATION_BLUE = '#1060e0';

/** The mean colour of a picture's centre quarter (one PNG: ffmpeg's fps filter would drop it). */
async function centreColour(png: string): Promise<[number, number, number] | undefined> {
  const { stdout } = await run(
    'ffmpeg',
    [
      ...['-v', 'error', '-i', png, '-vf', 'crop=iw/2:ih/2,scale=1:1:flags=area'],
      ...['-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    ],
    { encoding: 'buffer' },
  );
  return stdout.length >= 3 ? [stdout[0]!, stdout[1]!, stdout[2]!] : undefined;
}

/** baresip's ctrl_tcp: netstring-framed JSON commands. */
class BaresipControl {
  private buffer = '';
  readonly events: { type?: string; param?: string }[] = [];
  private constructor(private readonly socket: Socket) {
    socket.on('data', (d) => {
      this.buffer += d.toString();
      for (;;) {
        const colon = this.buffer.indexOf(':');
        if (colon < 0) return;
        const len = Number(this.buffer.slice(0, colon));
        if (this.buffer.length < colon + 1 + len + 1) return;
        const body = this.buffer.slice(colon + 1, colon + 1 + len);
        this.buffer = this.buffer.slice(colon + 2 + len);
        try {
          const msg = JSON.parse(body) as { event?: boolean; type?: string; param?: string };
          if (msg.event) this.events.push(msg);
        } catch {
          // not JSON: ignore
        }
      }
    });
  }

  static open(port: number): Promise<BaresipControl> {
    return new Promise((ok, fail) => {
      const s = connect(port, '127.0.0.1', () => ok(new BaresipControl(s)));
      s.once('error', fail);
    });
  }

  send(command: string, params = ''): void {
    const body = JSON.stringify({ command, params, token: command });
    this.socket.write(`${Buffer.byteLength(body)}:${body},`);
  }

  close(): void {
    this.socket.destroy();
  }
}

t.test('a room system (baresip) in a live meeting with Chromium pages', async (t) => {
  const { stack, sipPort } = await startSipStack(t, 'sip-baresip', {
    rtpBase: 32000,
    rtpCount: 100,
    width: 640,
    height: 360,
    kbps: 600,
  });
  const baresipCtrl = await freePort();
  const svc = stack.service;
  const edge = svc.sip!;
  const [hallSite, webSite] = stack.districts as [Site, Site];
  const { id, version, createdAt: _c, updatedAt: _u, ...fields } = hallSite;
  const hall = await svc.data.sites.update(
    id,
    { ...fields, sip: { user: 'hall1', password: 'mat-khau-sip-1', allowFrom: [] } },
    version,
    actor,
  );
  const { number } = await edge.addressOf(stack.meeting.id);

  // The pages: the main point (a blue camera), the chair, and a district site in a browser.
  const browser = await launchChromium(t);
  await startEndpoint(browser, svc.url, 'station', {
    token: stack.tokenOf('station'),
    camera: { width: 640, height: 360, color: STATION_BLUE },
    microphone: true,
  });
  const chair = await startEndpoint(browser, svc.url, 'chair', {
    token: stack.tokenOf('chair'),
    send: false,
  });
  const site = await startEndpoint(browser, svc.url, 'site', {
    token: stack.tokenOf('technician', webSite.id),
    camera: { width: 320, height: 180 },
    microphone: true,
  });
  await chair.request('startSession');
  await waitForMedia(site, 'station', 'camera', 15_000);

  // The room system: a video file as its camera, a WAV file as its microphone. Debian's
  // baresip 1.0.0 aborts (stack smashing in avformat_audio_decode) when its avformat source
  // reads a file with an audio track, so the camera file has none and aufile plays the sound.
  const dir = tempDir(t, 'diemcau-baresip-');
  const file = join(dir, 'camera.mp4');
  const tone = join(dir, 'tone.wav');
  await run('ffmpeg', [
    ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15', '-t', '60'],
    ...['-c:v', 'libx264', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-g', '15', '-an'],
    file,
  ]);
  await run('ffmpeg', [
    ...['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000', '-t', '60'],
    ...['-ac', '1', tone],
  ]);
  writeFileSync(
    join(dir, 'config'),
    [
      'poll_method epoll',
      // Port 0: baresip picks its UDP, TCP and TLS ports (TLS takes the next port otherwise).
      'sip_listen 127.0.0.1:0',
      // Its SDP and RTP on loopback too (it takes the first interface's address otherwise).
      'net_interface 127.0.0.1',
      'module_path /usr/lib/baresip/modules',
      // menu registers the commands ctrl_tcp runs (dial, hangup); account reads the accounts
      // file, after the codecs are loaded. Only G.722 and avcodec's H.264 are offered.
      ...[
        'menu',
        'g722',
        'avcodec',
        'avformat',
        'aufile',
        'srtp',
        'fakevideo',
        'aubridge',
        'snapshot',
        'ctrl_tcp',
        'account',
      ].map((m) => `module ${m}.so`),
      `audio_source aufile,${tone}`,
      'audio_player aubridge,nil',
      'audio_alert aubridge,nil',
      `video_source avformat,${file}`,
      'video_display fakevideo,nil',
      'video_size 320x240',
      'video_bitrate 400000',
      'video_fps 15',
      `ctrl_tcp_listen 127.0.0.1:${baresipCtrl}`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'accounts'),
    '<sip:hall1@127.0.0.1>;auth_pass=mat-khau-sip-1;regint=0;mediaenc=srtp-mand\n',
  );
  writeFileSync(join(dir, 'contacts'), '');
  const baresip: ChildProcess = spawn('baresip', ['-v', '-f', dir], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  baresip.stdout?.on('data', (d: Buffer) => {
    // Without its once-a-tick status line, which would push everything else out.
    const text = d.toString().replace(/\[\d+:\d\d:\d\d\] audio=[^\r\n]*\r?/g, '');
    output = (output + text).slice(-20_000);
  });
  baresip.stderr?.on('data', (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  });
  t.teardown(() => {
    baresip.kill('SIGKILL');
    writeFileSync(artifactPath('sip-baresip-ua.log'), output);
  });
  const control = (await waitFor(
    () => BaresipControl.open(baresipCtrl).catch(() => undefined),
    10_000,
    'baresip control port',
  ))!;
  t.teardown(() => control.close());

  const started = Date.now();
  control.send('dial', `sip:${number}@127.0.0.1:${sipPort}`);
  const call = (await waitFor(
    () => edge.callsView(stack.meeting.id).find((c) => c.state === 'connected'),
    15_000,
    'the room system connected',
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${output.slice(-3000)}`);
  }))!;
  t.pass(`baresip's call answered after digest auth in ${Date.now() - started} ms`);
  const transports = [...edge.callsView(stack.meeting.id)].length;
  t.equal(transports, 1, 'one call');
  t.equal(call.media.length, 2, 'audio and video taken');

  await t.test('the chair sees the hall as a site connected by SIP', async (t) => {
    const p = await waitFor(
      async () => {
        const ps = await chair.page.evaluate(() => window.harness.client()!.participants);
        const found = ps.find((x) => x.siteId === hall.id);
        return found?.online && found.sources.includes('camera') ? found : undefined;
      },
      10_000,
      'the hall in the chair list with its camera',
    );
    t.equal(p?.via, 'sip');
    await waitForMedia(chair, `site:${hall.id}`, 'camera', 10_000);
    t.pass("the chair's grid decodes the hall's H.264 camera");
  });

  await t.test("baresip receives the programme: the main point's picture", async (t) => {
    const png = join(dir, 'programme.png');
    await waitFor(
      async () => {
        control.send('snapshot_recv', png);
        await new Promise((r) => setTimeout(r, 700));
        if (!existsSync(png)) return false;
        return (await centreColour(png)) ?? false;
      },
      20_000,
      'a decoded snapshot of the programme',
      500,
    ).then((rgb) => {
      const [r, g, b] = rgb as [number, number, number];
      t.ok(b > 150 && b > r + 80 && b > g + 40, `the snapshot is the main point's blue (${rgb})`);
    });
  });

  await t.test(
    'the hall takes the floor: the browser site decodes its video and hears it',
    async (t) => {
      await chair.request('grantFloor', { siteId: hall.id });
      const ms = await waitForMedia(site, `site:${hall.id}`, 'camera', 15_000);
      t.pass(`the browser site decodes the hall's H.264 (${ms} ms)`);
      await waitForMedia(site, `site:${hall.id}`, 'microphone', 10_000);
      t.pass('and receives its G.722 sound (Chromium decodes it; it is not transcoded)');
      await chair.request('revokeFloor');
    },
  );

  await t.test('hang-up cleans up every transport', async (t) => {
    const session = svc.signaling.session(stack.meeting.id)!;
    const media = session.participant(`site:${hall.id}`)!.media!;
    const plain = [...media.plainTransports.values()];
    t.equal(plain.length, 2, 'two PlainTransports while in the call');
    control.send('hangup');
    await waitFor(() => edge.callCount === 0, 10_000, 'the call ended by BYE');
    t.ok(
      plain.every((tr) => tr.closed),
      "the call's PlainTransports are closed",
    );
    t.ok(media.isClosed, "the hall's media endpoint is closed");
    t.notOk(session.participant(`site:${hall.id}`)!.online, 'the hall is offline');
    await waitFor(() => edge.feedCount === 0, 5000, 'the room feed stopped with the last call');
    t.pass('the room feed stopped with the last call');
  });
});
