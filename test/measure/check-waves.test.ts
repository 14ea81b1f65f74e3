import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { CheckWindowResult } from '../../loadtest/runCheckWindow.js';
import { tempDir } from '../helpers/browser.js';
import { startTestService } from '../helpers/service.js';

/*
 * Checks in waves, for real: the whole service (real Redis, one mediasoup worker, the BullMQ
 * window job) and 12 emulated sites (libwebrtc in their own process: ICE/DTLS/SRTP with the
 * worker) that each answer their turn with a real check. At most 3 measure at once. Proves the
 * limit, the first-come order, that a site dropping out while waiting keeps its place, that one
 * staying away is skipped without blocking the others, and that every site gets a verdict.
 */

const ADMIN = { username: 'it-waves', password: 'mat-khau-kiem-tra-theo-luot-2026' };
const SITES = 12;
const LIMIT = 3;

t.test('a check window runs in waves of at most the limit, first come first served', async (t) => {
  const svc = await startTestService(t, {
    name: 'check-waves',
    env: { CHECK_MAX_CONCURRENT: String(LIMIT), CHECK_EXPECTED_SECONDS: '6' },
  });
  await svc.data.access.accounts.createUser(ADMIN.username, ADMIN.password, {
    kind: 'system',
    name: 'test',
  });
  const out = join(tempDir(t, 'diemcau-check-waves-'), 'result.json');
  const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) =>
    execFile(
      process.execPath,
      [
        '--import=tsx',
        'loadtest/check-cli.ts',
        '--url',
        svc.url,
        '--sites',
        String(SITES),
        '--measure',
        '1.5',
        // This rehearsal accepts less than the config (per-meeting thresholds): the emulated
        // camera goes at 1.25 × 250 kbps, which the shared test machine carries three at once.
        '--min-kbps',
        '250',
        // Site 5 drops out as the window opens and is back 0.3 s later; site 7 stays away
        // until every other site has its verdict.
        '--drop',
        '5:300',
        '--drop',
        '7:last',
        '--timeout',
        '80',
        '--user',
        ADMIN.username,
        '--json',
        out,
      ],
      {
        env: { ...process.env, DIEMCAU_ADMIN_PASSWORD: ADMIN.password },
        encoding: 'utf8',
        timeout: 100_000,
      },
      (err, stdout, stderr) =>
        done({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    ),
  );
  t.comment(run.stdout.trim());
  t.equal(run.code, 0, `the emulated window ran (${run.stderr.slice(-500)})`);
  const r = JSON.parse(readFileSync(out, 'utf8')) as CheckWindowResult;

  t.equal(r.limit, LIMIT, 'the configured limit is in force');
  t.ok(
    r.maxCheckingServer >= 1 && r.maxCheckingServer <= LIMIT,
    `server: at most ${LIMIT} at once (${r.maxCheckingServer})`,
  );
  t.ok(r.maxCheckingSites <= LIMIT, `sites: at most ${LIMIT} at once (${r.maxCheckingSites})`);
  t.ok(r.maxCheckingSites >= 2, 'the slots are used in parallel');
  t.match(
    r.outOfTurn,
    /conflict: Waiting for a check slot: position \d+, about \d+ minutes?/,
    'out of turn: refused with the place in line',
  );

  const site = (n: number) => r.sites[n - 1]!;
  for (const s of r.sites) {
    t.ok(
      s.verdict,
      `site ${s.site}: verdict ${s.verdict} (${s.reasons.join(',') || 'no reasons'})`,
    );
    t.not(s.verdict, 'fail', `site ${s.site} did not fail`);
    t.notOk(
      s.reasons.includes('uplink_low') || s.reasons.includes('downlink_low'),
      `site ${s.site}: no bandwidth reason (up ${s.uplinkKbps}, down ${s.downlinkKbps} kbps)`,
    );
  }
  // Judged by the meeting's own thresholds: the service's 1200 kbps would have failed them all.
  t.ok(
    r.sites.every((s) => (s.uplinkKbps ?? 0) < 1200),
    'the emulated cameras send below the service default',
  );
  // First come, first served: sites are called in the meeting's order (the sites of one wave
  // within a few milliseconds of each other). Site 5 came back within its wait: its place held.
  const inLine = r.sites.filter((s) => s.site !== 7);
  for (let i = 1; i < inLine.length; i++)
    t.ok(
      inLine[i]!.calledMs! >= inLine[i - 1]!.calledMs! - 50,
      `site ${inLine[i]!.site} called at ${inLine[i]!.calledMs} ms, after site ${inLine[i - 1]!.site} (${inLine[i - 1]!.calledMs} ms)`,
    );
  t.ok(site(5).calledMs! <= site(6).calledMs! + 50, 'a site that reconnects keeps its place');
  // Site 7 was skipped, not waited for: site 8 went before it came back.
  t.ok(site(8).finishedMs! < site(7).calledMs!, 'a site away is skipped without blocking');
  // The last site was told its place, which moved forward.
  const places = site(SITES).places;
  t.ok(places.length >= 2, `the last site was told its place (${places.join(', ')})`);
  t.ok(
    places[0]! >= SITES - LIMIT - 2 && places[0]! <= SITES - LIMIT,
    'its place counts the connected sites ahead',
  );
  t.ok(places.at(-1)! < places[0]!, 'its place moved forward');

  const stored = await svc.data.store.redis.hvals(
    svc.data.store.keys.meetingReadiness(r.meetingId),
  );
  t.equal(
    stored.filter((x) => (JSON.parse(x) as { lastCheck?: unknown }).lastCheck).length,
    SITES,
    'every site has a stored result',
  );
  // The emulator cancelled its meeting: the queue is gone from Redis.
  const keys = svc.data.store.keys.meeting(r.meetingId);
  let left: string[] = [];
  for (let i = 0; i < 20; i++) {
    left = await svc.data.store.redis.keys(`${keys}:check-queue:*`);
    if (left.length === 0) break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  t.same(left, [], 'no queue keys left once the meeting is cancelled');
});
