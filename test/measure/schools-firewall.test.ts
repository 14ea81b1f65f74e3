import { execFileSync } from 'node:child_process';
import { type Browser, chromium } from 'playwright-core';
import { io, type Socket } from 'socket.io-client';
import t from 'tap';
import type { CheckOutcome } from '../../web/client/ConnectionCheck.js';
import {
  artifactPath,
  chromiumFlags,
  launchChromium,
  openPage,
  waitFor,
} from '../helpers/browser.js';
import { type HarnessEndpoint, startEndpoint } from '../helpers/endpoints.js';
import { netnsUnavailable } from '../helpers/netns.js';
import {
  blockUdp,
  createSchool,
  linesWith,
  nft,
  onlyTcp,
  publicAddresses,
  type School,
  startCoturn,
  startTinyproxy,
  testCertificate,
} from '../helpers/schoolNet.js';
import { startServiceStack } from '../helpers/serviceStack.js';
import { pagePath, videoWindow, watchFromStart } from '../helpers/videoWatch.js';

/*
 * Schools whose firewall is strict. The department's deployment: the pages, signaling and the
 * media worker on one public address (pages and signaling on 443), coturn on a second address,
 * TURN over TLS on 443 only, with the service's per-endpoint credentials. Three schools, each in
 * its own network namespace with its nftables firewall, each a real Chromium:
 *   - "UDP blocked": no UDP leaves; ICE over TCP to the worker's port;
 *   - "443 only": only TCP 443 leaves; media through coturn, TURN/TLS 443;
 *   - "web proxy": nothing leaves but to the school's HTTP proxy (Debian's tinyproxy, CONNECT to
 *     443 only): pages and signaling through it, media through it to coturn, TURN/TLS 443.
 * Each joins the live meeting (the page opened from nothing), decodes the main point, and the path
 * it took is asserted at the page, at the SFU (the transport's selected tuple) and in coturn's
 * and the proxy's logs. The 443-only school runs the connection check, which names the path; the
 * chair's live participant list names every school's path. Join → first frame is printed.
 */

const need = (bin: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'pipe' });
    return undefined;
  } catch {
    return `${bin} not installed (bash scripts/setup.sh --test)`;
  }
};
const skip = netnsUnavailable() ?? need('turnserver') ?? need('tinyproxy') ?? need('nft');
const TURN_SECRET = 'turn-secret-for-schools-2026';

interface Quality {
  path?: string;
  relayPort?: number;
  estimateKbps?: number;
  layer?: number;
  lossDownPercent: number;
}

t.test('schools behind strict firewalls and a web proxy join and decode', { skip }, async (t) => {
  t.setTimeout(150_000);
  const started = Date.now();
  const pub = publicAddresses(t);
  const cert = testCertificate(t, pub.turn);
  const turn = await startCoturn(t, {
    ip: pub.turn,
    port: 443,
    secret: TURN_SECRET,
    mediaIp: pub.server,
    cert,
  });
  const url = `http://${pub.server}:443`;
  const stack = await startServiceStack(t, {
    HOST: pub.server,
    PORT: '443',
    PUBLIC_URL: url,
    RTC_LISTEN_IP: pub.server,
    ANNOUNCED_ADDRESS: pub.server,
    TURN_URLS: turn.url,
    TURN_SECRET,
  });
  const rtcPort = stack.service.pool.workers[0]!.port;
  const meetingId = stack.meeting.id;
  const [d1, d2, d3] = stack.districts as [
    (typeof stack.districts)[0],
    (typeof stack.districts)[0],
    (typeof stack.districts)[0],
  ];

  // The schools and their firewalls.
  const udpBlocked = createSchool(t, 1);
  nft(udpBlocked, blockUdp);
  const only443 = createSchool(t, 2);
  nft(only443, onlyTcp([443]));
  const proxied = createSchool(t, 3);
  const proxy = await startTinyproxy(t, {
    listen: proxied.hostIp,
    port: 3128,
    allow: `${proxied.siteIp}`,
  });
  nft(proxied, onlyTcp([3128], proxied.hostIp));
  // The firewalls hold: no UDP out of the first, no TCP to the media port out of the second.
  const probe = (school: School, args: string) => {
    try {
      execFileSync('ip', ['netns', 'exec', school.name, 'bash', '-c', args], {
        stdio: 'pipe',
        timeout: 3000,
      });
      return true;
    } catch {
      return false;
    }
  };
  t.notOk(
    probe(udpBlocked, `echo x > /dev/udp/${pub.server}/${rtcPort}`),
    'UDP cannot leave the first school',
  );
  t.notOk(
    probe(only443, `exec 3<>/dev/tcp/${pub.server}/${rtcPort}`),
    'TCP to the media port cannot leave the second school',
  );
  t.notOk(
    probe(proxied, `exec 3<>/dev/tcp/${pub.server}/443`),
    'the third school reaches nothing directly, not even 443',
  );

  // The main point, in the department's hall (no firewall), and the chair.
  const secure = `--unsafely-treat-insecure-origin-as-secure=${url}`;
  const hall = await launchChromium(t, [secure]);
  const station = await startEndpoint(hall, url, 'station', {
    token: stack.tokenOf('station'),
    camera: { width: 640, height: 360 },
    microphone: true,
  });
  t.teardown(() => station.close().catch(() => {}));
  // The chair starts the session; IT's board asks for checks and watches every site's link.
  const connect = async (auth: Record<string, string>, headers?: Record<string, string>) => {
    const socket = io(url, {
      auth,
      transports: ['websocket'],
      reconnection: false,
      ...(headers ? { extraHeaders: headers } : {}),
    });
    t.teardown(() => void socket.close());
    await waitFor(() => socket.connected, 10_000, 'socket connected');
    return socket;
  };
  const ask = async <T>(socket: Socket, name: string, payload: unknown = {}): Promise<T> => {
    const answer = (await socket.timeout(10_000).emitWithAck(name, payload)) as {
      ok: boolean;
      data?: T;
      error?: unknown;
    };
    if (!answer.ok) throw new Error(`${name}: ${JSON.stringify(answer.error)}`);
    return answer.data as T;
  };
  const chair = await connect({ token: stack.tokenOf('chair') });
  await ask(chair, 'join');
  const it = await connect({ meetingId }, { cookie: stack.adminCookie, origin: url });
  await ask(it, 'join');
  const qualities = new Map<string, Quality>();
  const onParticipants = (p: { participants: { siteId?: string; quality?: Quality }[] }) => {
    for (const x of p.participants) if (x.siteId && x.quality) qualities.set(x.siteId, x.quality);
  };
  it.on('participantsChanged', onParticipants);
  it.on('participantsUpdated', onParticipants);

  const schoolBrowser = async (school: School, extra: string[] = []): Promise<Browser> => {
    const browser = await chromium.launch({
      executablePath: school.chromium,
      headless: true,
      // The department's certificate is a test one here: Chromium trusts its key, nothing else.
      args: [
        ...chromiumFlags,
        secure,
        `--ignore-certificate-errors-spki-list=${cert.spki}`,
        ...extra,
      ],
    });
    t.teardown(() => browser.close());
    return browser;
  };
  const browsers = {
    udp: await schoolBrowser(udpBlocked),
    tls: await schoolBrowser(only443),
    proxy: await schoolBrowser(proxied, [`--proxy-server=${proxy.url}`]),
  };

  // Before the meeting: the 443-only school's connection check, asked for by the chair.
  const checker = await startEndpoint(browsers.tls, url, 'school-443-check', {
    token: stack.tokenOf('technician', d2.id),
    camera: { width: 320, height: 180 },
    microphone: true,
  });
  await checker.page.evaluate(() => window.harness.autoCheck());
  await ask(it, 'requestCheck', { siteId: d2.id });
  await waitFor(
    () => checker.page.evaluate(() => window.harness.checks.length > 0),
    60_000,
    'the check at the 443-only school',
  );
  const [outcome] = (await checker.page.evaluate(() => window.harness.checks)) as (
    | CheckOutcome
    | { error: string }
  )[];
  if (!outcome || 'error' in outcome) throw new Error(`check failed: ${JSON.stringify(outcome)}`);
  const f = outcome.result.figures;
  t.comment(
    `check at the 443-only school: ${outcome.result.verdict}, path ${f.path} ${f.relayPort ?? ''}, ${f.candidateType}/${f.protocol}, up ${f.uplink.kbps} kbps, down ${f.downlink.kbps} kbps, rtt ${f.downlink.rttMs} ms, ICE+DTLS ${f.iceDtlsMs} ms`,
  );
  t.equal(f.path, 'turn_tls', 'the check names the path: TURN/TLS');
  t.equal(f.relayPort, 443, '… on 443');
  const board = await stack.service.app.inject({
    url: `/api/meetings/${meetingId}/readiness`,
    headers: { cookie: stack.adminCookie },
  });
  const row = (
    board.json() as { sites: { siteId: string; lastCheck?: { figures: { path?: string } } }[] }
  ).sites.find((r) => r.siteId === d2.id);
  t.equal(row?.lastCheck?.figures.path, 'turn_tls', 'the readiness board has the path');
  await checker.close();

  // The meeting: the chair starts it; each school opens its page from nothing and is measured.
  await ask(chair, 'startSession');
  const watch = watchFromStart(['station/camera']);
  const schools: {
    name: string;
    school: School;
    browser: Browser;
    siteId: string;
    expect: string;
  }[] = [
    {
      name: 'UDP blocked',
      school: udpBlocked,
      browser: browsers.udp,
      siteId: d1.id,
      expect: 'tcp',
    },
    { name: '443 only', school: only443, browser: browsers.tls, siteId: d2.id, expect: 'turn_tls' },
    {
      name: 'web proxy',
      school: proxied,
      browser: browsers.proxy,
      siteId: d3.id,
      expect: 'turn_tls',
    },
  ];
  const pages: HarnessEndpoint[] = await Promise.all(
    schools.map((s) =>
      startEndpoint(s.browser, url, s.name, {
        token: stack.tokenOf('technician', s.siteId),
        send: false,
        init: watch,
      }),
    ),
  );
  t.teardown(async () => {
    for (const p of pages) await p.close().catch(() => {});
  });
  const room = () => stack.service.signaling.session(meetingId)?.room;
  for (const [i, s] of schools.entries()) {
    const page = pages[i]!;
    await waitFor(
      async () => (await videoWindow(page.page, 'station')).frames > 30,
      30_000,
      `${s.name}: frames of the main point`,
    );
    const v = await videoWindow(page.page, 'station', 'camera', 3);
    // Chromium may carry the first frames over whichever pair answered first (under load, the
    // relay) and moves to the better pair once it is writable: ICE-TCP outranks any relay, so the
    // UDP-blocked school is given time to settle on it.
    let path = await pagePath(page.page);
    const settleBy = Date.now() + 20_000;
    while (path !== s.expect && Date.now() < settleBy) {
      await new Promise((r) => setTimeout(r, 500));
      path = await pagePath(page.page);
    }
    const endpointId = await page.page.evaluate(() => window.harness.client()!.endpointId!);
    const recv = [...(room()?.endpoint(endpointId)?.transports.values() ?? [])].find(
      (x) => x.appData.direction === 'recv',
    );
    const tuple = recv?.iceSelectedTuple;
    t.comment(
      `${s.name}: join → first frame ${v.firstFrameMs} ms, ${v.fps} fps over 3 s, ${v.freezes} freezes > 500 ms, ${v.frameHeight}p, path ${path}; SFU sees ${tuple?.protocol} from ${tuple?.remoteIp}`,
    );
    t.ok(v.fps >= 10 && (v.framesDecoded ?? 0) > 30, `${s.name}: decodes the main point`);
    t.equal(path, s.expect, `${s.name}: the page's media goes over ${s.expect}`);
    if (s.expect === 'tcp') {
      t.equal(tuple?.protocol, 'tcp', `${s.name}: ICE-TCP at the SFU`);
      t.equal(tuple?.remoteIp, s.school.siteIp, `${s.name}: straight from the school`);
    } else {
      t.equal(tuple?.remoteIp, pub.turn, `${s.name}: the SFU receives it from coturn`);
      t.ok(
        linesWith(turn.output(), endpointId).some((l) => l.includes('ALLOCATE processed, success')),
        `${s.name}: coturn relayed with its own credentials (${endpointId})`,
      );
    }
  }
  const connects = linesWith(proxy.output(), 'CONNECT');
  t.ok(
    connects.some((l) => l.includes(`${pub.turn}:443`)),
    'the proxy tunnelled TURN/TLS to coturn on 443',
  );
  t.ok(
    connects.some((l) => l.includes(`${pub.server}:443`)),
    'and the signaling websocket to the service on 443',
  );

  // IT's live view (the chair's gets the same participants) names each school's path and link.
  await waitFor(
    () => schools.every((s) => qualities.get(s.siteId)?.path === s.expect),
    15_000,
    'IT sees every school’s path',
  );
  for (const s of schools) {
    const q = qualities.get(s.siteId)!;
    t.comment(
      `IT's view of ${s.name}: ${q.path} ${q.relayPort ?? ''}, estimate ${q.estimateKbps} kbps, loss ${q.lossDownPercent} %, layer ${q.layer}`,
    );
    if (s.expect === 'turn_tls') t.equal(q.relayPort, 443, `${s.name}: TURN/TLS 443 on IT's view`);
  }
  // The chair's page shows it on each school's tile (the same component is on IT's board).
  const chairLink = stack.links.find((l) => l.link.role === 'chair')!.url;
  const { page: chairPage, context: chairContext } = await openPage(hall, chairLink, 'chair-page');
  t.teardown(() => chairContext.close().catch(() => {}));
  const summaries = chairPage.locator('[data-testid="link-summary"]');
  await waitFor(
    async () =>
      (await summaries.allTextContents()).filter((x) => x.includes('TURN/TLS 443')).length >= 2,
    20_000,
    'the chair page names the paths',
  );
  const texts = await summaries.allTextContents();
  t.comment(`chair's tiles: ${texts.join(' | ')}`);
  t.ok(
    texts.some((x) => x.includes('TCP ·')),
    "the chair's tile of the UDP-blocked school says TCP",
  );
  await chairPage.screenshot({ path: artifactPath('schools-chair-paths.png'), fullPage: true });
  t.pass(`the whole case took ${Math.round((Date.now() - started) / 1000)} s`);
});
