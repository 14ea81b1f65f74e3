/**
 * npm run loadtest -- --url https://hop.sogd.example.vn --light 390 --decoding 10 --ramp 30 --duration 60
 *
 * Emulated sites (no browser) join one meeting through join links issued with the admin API,
 * receive the emulated main point, and a table of what they got is printed. Light sites
 * (loadtest/LightSite.ts) check the media without decoding it, hundreds per core; decoding
 * sites (libwebrtc) decode the pictures, about a hundred per core. `--sites N` is N decoding.
 * The admin password comes from DIEMCAU_ADMIN_PASSWORD or, with --password-stdin, standard input.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatResult, runLoadTest } from './runLoadTest.js';

const usage = `usage: npm run loadtest -- --url URL [--meeting ID | --create-meeting]
       [--light N] [--decoding M] [--sites N (= --decoding N)]
       [--ramp SECONDS] [--duration SECONDS] [--layer 0|1|2] [--user NAME] [--password-stdin]
       [--metrics-token TOKEN] [--no-start] [--floor] [--distinct-addresses] [--json FILE]`;

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    meeting: { type: 'string' },
    'create-meeting': { type: 'boolean', default: false },
    sites: { type: 'string' },
    light: { type: 'string' },
    decoding: { type: 'string' },
    ramp: { type: 'string', default: '10' },
    duration: { type: 'string', default: '30' },
    layer: { type: 'string' },
    user: { type: 'string', default: process.env.DIEMCAU_ADMIN_USER ?? 'admin' },
    'password-stdin': { type: 'boolean', default: false },
    'metrics-token': { type: 'string', default: process.env.METRICS_TOKEN },
    'no-start': { type: 'boolean', default: false },
    floor: { type: 'boolean', default: false },
    'distinct-addresses': { type: 'boolean', default: false },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  process.stderr.write(`${message}\n${usage}\n`);
  process.exit(2);
}

const number = (name: string, v: string | undefined, min: number, max: number) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max)
    fail(`--${name}: expected ${min}–${max}, got "${v}"`);
  return n;
};

if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
if (!values.url) fail('--url is required');
if (!values.meeting && !values['create-meeting'])
  fail('--meeting ID or --create-meeting is required');
const password = values['password-stdin']
  ? readFileSync(0, 'utf8').trim()
  : process.env.DIEMCAU_ADMIN_PASSWORD;
if (!password) fail('set DIEMCAU_ADMIN_PASSWORD or use --password-stdin');
const layer = values.layer === undefined ? undefined : number('layer', values.layer, 0, 2);
if (values.sites !== undefined && values.decoding !== undefined)
  fail('--sites and --decoding say the same thing: give one');
const light = values.light === undefined ? 0 : number('light', values.light, 0, 2000);
const decodingArg = values.decoding ?? values.sites;
const decoding =
  decodingArg === undefined ? (light ? 0 : 20) : number('decoding', decodingArg, 0, 500);
if (light + decoding < 1) fail('--light and --decoding: at least one site');

const interactive = process.stderr.isTTY === true;
let last = 0;
try {
  const result = await runLoadTest({
    url: values.url,
    admin: { username: values.user, password },
    ...(values.meeting ? { meetingId: values.meeting } : {}),
    sites: light + decoding,
    lightSites: light,
    rampSeconds: number('ramp', values.ramp, 0, 3600),
    durationSeconds: number('duration', values.duration, 1, 3600),
    ...(layer !== undefined ? { layer: layer as 0 | 1 | 2 } : {}),
    startSession: !values['no-start'],
    floorCheck: values.floor,
    distinctAddresses: values['distinct-addresses'],
    ...(values['metrics-token'] ? { metricsToken: values['metrics-token'] } : {}),
    progress: (line) => {
      if (interactive) process.stderr.write(`\r\x1b[K${line}`);
      else if (Date.now() - last > 5000) {
        last = Date.now();
        process.stderr.write(`${line}\n`);
      }
    },
  });
  if (interactive) process.stderr.write('\n');
  process.stdout.write(`${formatResult(result).join('\n')}\n`);
  if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2));
  const failed = result.sites.some((s) => s.error || s.firstFrameMs === undefined);
  // process.exit, not a natural end: libwebrtc for Node crashes while tearing down at exit.
  process.exit(failed ? 1 : 0);
} catch (err) {
  process.stderr.write(`load test failed: ${(err as Error).message}\n`);
  process.exit(1);
}
