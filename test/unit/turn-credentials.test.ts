import { createHmac } from 'node:crypto';
import t from 'tap';
import { loadConfig } from '../../config/index.js';
import { turnCredentials } from '../../server/live/createSignaling.js';

// coturn's use-auth-secret: username "<expiry>:<anything>", password base64 HMAC-SHA1 of it.
const config = loadConfig({
  env: {
    TURN_URLS: 'turn:turn.example.vn:3478?transport=udp',
    TURN_SECRET: 'a-long-turn-secret-0123',
  },
}).turn;

t.test('TURN credentials are per endpoint and end with the meeting', async (t) => {
  const now = Date.parse('2031-11-04T00:00:00Z');
  const meetingEndsAt = now + 2 * 3600_000;
  const a = turnCredentials(
    config,
    { meetingId: 'm1', endpointId: 'site:a', endsAt: meetingEndsAt },
    now,
  );
  const b = turnCredentials(
    config,
    { meetingId: 'm1', endpointId: 'site:b', endsAt: meetingEndsAt },
    now,
  );
  t.equal(a.length, 1);
  const [expiry, ...rest] = a[0]!.username!.split(':');
  t.match(rest.join(':'), /site:a/, 'the username names the endpoint');
  t.not(a[0]!.username, b[0]!.username, 'each endpoint its own');
  t.equal(Number(expiry) * 1000, meetingEndsAt, 'valid until the meeting ends, not 12 h');
  t.equal(
    a[0]!.credential,
    createHmac('sha1', config.secret!).update(a[0]!.username!).digest('base64'),
    'coturn can verify it',
  );
  const far = turnCredentials(
    config,
    { meetingId: 'm1', endpointId: 'chair', endsAt: now + 72 * 3600_000 },
    now,
  );
  t.equal(
    Number(far[0]!.username!.split(':')[0]) * 1000,
    now + config.credentialTtlSeconds * 1000,
    'and never longer than the configured lifetime',
  );
  t.same(
    turnCredentials(
      loadConfig({ env: {} }).turn,
      { meetingId: 'm1', endpointId: 'chair', endsAt: now },
      now,
    ),
    [],
    'no TURN configured',
  );
});
