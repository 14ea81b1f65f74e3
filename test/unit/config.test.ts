import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, loadConfig } from '../../config/index.js';

t.test('defaults are complete and valid', async (t) => {
  const c = loadConfig({ env: {} });
  t.equal(c.http.port, 8080);
  t.equal(c.http.publicUrl, 'http://localhost:8080');
  t.ok(c.media.numWorkers! >= 1, 'one worker per core by default');
  t.equal(c.media.rtcPortBase, 40000);
  t.equal(c.redis.url, undefined, 'no REDIS_URL: a private redis-server is started');
  t.same(c.checks, {
    maxRttMs: 200,
    maxLossPercent: 1,
    maxJitterMs: 30,
    minUplinkKbps: 1200,
    minDownlinkKbps: 1500,
  });
});

t.test('environment overrides the file, which overrides defaults', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'diemcau-config-'));
  const file = join(dir, 'config.json');
  writeFileSync(
    file,
    JSON.stringify({
      http: { port: 9000, publicUrl: 'https://meet.example.vn/' },
      media: { numWorkers: 3 },
    }),
  );
  const c = loadConfig({
    env: { DIEMCAU_CONFIG: file, MEDIASOUP_WORKERS: '4', ANNOUNCED_ADDRESS: '203.0.113.7' },
  });
  t.equal(c.http.port, 9000);
  t.equal(c.http.publicUrl, 'https://meet.example.vn', 'trailing slash removed');
  t.equal(c.media.numWorkers, 4);
  t.equal(c.media.announcedAddress, '203.0.113.7');
});

t.test('invalid values name the setting and what is expected', async (t) => {
  const err = t.throws(() =>
    loadConfig({
      env: {
        PORT: 'eighty',
        REDIS_URL: 'http://redis',
        LOG_LEVEL: 'loud',
        TURN_URLS: 'turn:turn.example.vn:3478',
      },
    }),
  ) as ConfigError;
  t.type(err, ConfigError);
  t.match(err.message, /PORT \(http\.port\): expected a port number from 1 to 65535, got "eighty"/);
  t.match(err.message, /REDIS_URL \(redis\.url\): expected a redis:\/\/ or rediss:\/\/ URL/);
  t.match(err.message, /LOG_LEVEL \(logLevel\)/);
  t.match(err.message, /TURN_SECRET is required when TURN_URLS is set/);
  t.notMatch(err.message, /at .*\.ts:\d+/, 'no stack trace in the message');
});

t.test('a config file with unknown keys or bad JSON is refused clearly', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'diemcau-config-'));
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{ "http": { "prot": 1 } }');
  t.throws(() => loadConfig({ env: {}, file: bad }), { message: /unknown setting\(s\) prot/ });
  writeFileSync(bad, '{ not json');
  t.throws(() => loadConfig({ env: {}, file: bad }), { message: /is not a JSON object/ });
  t.throws(() => loadConfig({ env: {}, file: join(dir, 'missing.json') }), {
    message: /cannot read .*ENOENT/,
  });
});
