import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { metricSum, parseMetrics } from '../../loadtest/figures.js';
import type { LoadTestResult } from '../../loadtest/runLoadTest.js';
import { tempDir } from '../helpers/browser.js';
import { startTestService } from '../helpers/service.js';

// The headless site emulator against the real service: 100 light sites (receive-only, media
// checked without decoding) and 2 decoding ones (libwebrtc) join through links issued by the
// admin API, receive the emulated main point's VP8 simulcast and Opus, and /metrics sees them.
const ADMIN = { username: 'it-loadtest', password: 'mat-khau-kiem-thu-tai-2026' };

t.test('100 light and 2 decoding emulated sites against the real service', async (t) => {
  const svc = await startTestService(t, {
    name: 'loadtest',
    env: {
      MEDIASOUP_WORKERS: '2',
      // Small routers, so the meeting spreads over both workers and pipes the main point.
      MAX_CONSUMERS_PER_ROUTER: '120',
      METRICS_TOKEN: 'ma-truy-cap-so-lieu-2026',
      // The emulated sites come from 127.0.0.1, each with its own X-Forwarded-For.
      TRUSTED_PROXIES: '127.0.0.1',
    },
  });
  const dataDir = tempDir(t, 'diemcau-loadtest-out-');
  await svc.data.access.accounts.createUser(ADMIN.username, ADMIN.password, {
    kind: 'system',
    name: 'test',
  });

  // The command IT runs, in its own process (libwebrtc lives there, not in the test runner).
  const out = join(dataDir, 'result.json');
  const run = await new Promise<{ status: number | null; stdout: string; stderr: string }>(
    (done) => {
      execFile(
        process.execPath,
        [
          '--import=tsx',
          'loadtest/cli.ts',
          '--url',
          svc.url,
          '--create-meeting',
          '--light',
          '100',
          '--decoding',
          '2',
          '--ramp',
          '5',
          '--duration',
          '3',
          '--floor',
          '--distinct-addresses',
          '--user',
          ADMIN.username,
          '--json',
          out,
        ],
        {
          env: { ...process.env, DIEMCAU_ADMIN_PASSWORD: ADMIN.password, METRICS_TOKEN: '' },
          encoding: 'utf8',
          timeout: 90_000,
        },
        (err, stdout, stderr) =>
          done({ status: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
      );
    },
  );
  t.equal(run.status, 0, `the load test command succeeded ${run.stderr.slice(-2000)}`);
  t.match(
    run.stdout,
    /102\/102 sites joined and got whole video frames \(100 light, 2 decoding\), 0 failed/,
    'the final table',
  );
  const result = JSON.parse(readFileSync(out, 'utf8')) as LoadTestResult;
  const failed = result.sites.filter((s) => s.error);
  t.same(failed, [], 'no site failed to join');
  t.equal(result.sites.filter((s) => s.kind === 'light').length, 100, '100 light sites');
  const main = result.sites.filter(
    (s) =>
      s.firstFrameMs !== undefined &&
      (s.videoPackets ?? 0) > 0 &&
      (s.audioPackets ?? 0) > 0 &&
      (s.framesDecoded ?? 0) > 0 &&
      (s.kind === 'decoding' || (s.keyFrameSize?.width ?? 0) >= 320),
  );
  t.equal(
    main.length,
    102,
    'every site receives the main point: whole (or decoded) frames and sound',
  );
  for (const s of result.sites.filter((x) => !main.includes(x)))
    t.fail(
      `${s.siteId} (${s.kind}): first frame ${s.firstFrameMs} ms, ${s.videoPackets} video / ${s.audioPackets} audio packets, ${s.framesDecoded} frames, key frame ${JSON.stringify(s.keyFrameSize)}`,
    );
  const lossy = result.sites.filter((s) => (s.lossPercent ?? 100) > 1);
  t.same(lossy, [], 'no site lost more than 1 % of the packets');
  t.equal(result.floor?.reached, 101, 'the site given the floor reached the 101 others');

  const m = result.metrics ?? [];
  const meeting = { meeting: result.meetingId };
  t.equal(
    metricSum(m, 'diemcau_endpoints_online', { ...meeting, role: 'site' }),
    102,
    '/metrics: 102 sites online',
  );
  t.equal(
    metricSum(m, 'diemcau_endpoints_online', { ...meeting, role: 'station' }),
    1,
    '/metrics: the main point',
  );
  t.ok(
    metricSum(m, 'diemcau_consumers', { ...meeting, role: 'site' }) >= 204,
    '/metrics: ≥ 2 consumers per site',
  );
  t.equal(
    metricSum(m, 'diemcau_producers', { ...meeting, role: 'station' }),
    2,
    '/metrics: the main point produces 2',
  );
  t.ok(
    metricSum(m, 'diemcau_bitrate_out_kbps', { ...meeting, role: 'site' }) > 0,
    '/metrics: bitrate to the sites',
  );
  t.ok(metricSum(m, 'diemcau_worker_cpu_seconds_total') > 0, '/metrics: worker CPU');
  t.equal(metricSum(m, 'diemcau_worker_up'), 2, '/metrics: both workers');
  t.ok(
    m.some((s) => s.name === 'diemcau_check_jobs'),
    '/metrics: check queue',
  );
  t.ok(
    m.some((s) => s.name === 'diemcau_http_request_duration_seconds_count'),
    '/metrics: HTTP latency',
  );

  // Access: loopback or the token; never through a proxy header alone.
  const remote = await svc.app.inject({ url: '/metrics', remoteAddress: '203.0.113.7' });
  t.equal(remote.statusCode, 401, 'another host without the token is refused');
  const proxied = await svc.app.inject({
    url: '/metrics',
    headers: { 'x-forwarded-for': '203.0.113.7' },
  });
  t.equal(proxied.statusCode, 401, 'a proxied request counts as remote');
  const withToken = await svc.app.inject({
    url: '/metrics',
    remoteAddress: '203.0.113.7',
    headers: { authorization: 'Bearer ma-truy-cap-so-lieu-2026' },
  });
  t.equal(withToken.statusCode, 200, 'the token opens it');
  t.ok(parseMetrics(withToken.body).length > 0, 'Prometheus text');

  const links = await svc.data.access.listLinks(result.meetingId);
  t.ok(
    links.length >= 104 && links.every((l) => l.revokedAt),
    'every link the test issued is revoked',
  );
});
