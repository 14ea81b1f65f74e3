/**
 * npx tsx loadtest/check-cli.ts --url URL --sites 400 [--measure 2] [--camera 320x180x15]
 *   [--min-kbps 300] [--drop 5:300 --drop 7:last] [--timeout 1800] [--user NAME] [--json FILE]
 *
 * A check window for N emulated sites through the real service (runCheckWindow.ts): prints how
 * long the window took, the dispatch delay from opening to each site's turn (p50/p99), the most
 * sites measuring at once and every verdict. Admin password: DIEMCAU_ADMIN_PASSWORD.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type CheckWindowResult, runCheckWindow } from './runCheckWindow.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    sites: { type: 'string', default: '20' },
    measure: { type: 'string', default: '2' },
    camera: { type: 'string', default: '320x180x15' },
    'min-kbps': { type: 'string' },
    drop: { type: 'string', multiple: true, default: [] },
    timeout: { type: 'string', default: '1800' },
    'join-concurrency': { type: 'string', default: '20' },
    'distinct-addresses': { type: 'boolean', default: false },
    user: { type: 'string', default: process.env.DIEMCAU_ADMIN_USER ?? 'admin' },
    json: { type: 'string' },
  },
});

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}
const password = process.env.DIEMCAU_ADMIN_PASSWORD;
if (!values.url) fail('--url is required');
if (!password) fail('set DIEMCAU_ADMIN_PASSWORD');
const [width, height, fps] = values.camera.split('x').map(Number);
if (!width || !height || !fps) fail('--camera: WIDTHxHEIGHTxFPS');
const minKbps = values['min-kbps'] === undefined ? undefined : Number(values['min-kbps']);
const drops = values.drop.map((d) => {
  const [site, back] = d.split(':');
  return { site: Number(site), backAfterMs: back === 'last' ? ('last' as const) : Number(back) };
});

export function formatCheckWindow(r: CheckWindowResult): string[] {
  const verdicts = new Map<string, number>();
  for (const s of r.sites)
    verdicts.set(s.verdict ?? 'none', (verdicts.get(s.verdict ?? 'none') ?? 0) + 1);
  const f = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);
  return [
    `sites: ${r.sites.length}, joined in ${r.joinSeconds} s; limit ${r.limit ?? '?'}`,
    `window: ${f(r.windowMs)} from opening to the last verdict; mean check ${f(r.meanCheckMs)}`,
    `dispatch (opening → turn): p50 ${f(r.dispatch.p50)}, p99 ${f(r.dispatch.p99)}, max ${f(r.dispatch.max)}`,
    `measuring at once: max ${r.maxCheckingServer} (server's progress), ${r.maxCheckingSites} (sites' timings)`,
    `verdicts: ${[...verdicts].map(([v, n]) => `${v} ${n}`).join(', ')}`,
    `bandwidth reasons: ${r.sites.filter((s) => s.reasons.some((x) => x === 'uplink_low' || x === 'downlink_low')).length} sites`,
    ...(r.outOfTurn ? [`out of turn: ${r.outOfTurn}`] : []),
  ];
}

try {
  const result = await runCheckWindow({
    url: values.url,
    admin: { username: values.user, password },
    sites: Number(values.sites),
    measureMs: Number(values.measure) * 1000,
    camera: { width, height, fps },
    ...(minKbps ? { thresholds: { minUplinkKbps: minKbps, minDownlinkKbps: minKbps } } : {}),
    drops,
    joinConcurrency: Number(values['join-concurrency']),
    distinctAddresses: values['distinct-addresses'],
    timeoutMs: Number(values.timeout) * 1000,
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${formatCheckWindow(result).join('\n')}\n`);
  if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2));
  // process.exit, not a natural end: libwebrtc for Node crashes while tearing down at exit.
  process.exit(result.sites.every((s) => s.verdict) ? 0 : 1);
} catch (err) {
  process.stderr.write(`check window run failed: ${(err as Error).stack}\n`);
  process.exit(1);
}
