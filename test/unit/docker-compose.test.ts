import { readFileSync } from 'node:fs';
import t from 'tap';
import { parse } from 'yaml';
import { envToPath, loadConfig } from '../../config/index.js';

// Docker cannot run here; this keeps the production file consistent with the config schema.
// Merge keys (<<) as compose reads them: both replicas share one block.
const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'), {
  merge: true,
});
const replicas = ['app-1', 'app-2'] as const;
const caddyfile = readFileSync(new URL('../../deploy/Caddyfile', import.meta.url), 'utf8');

t.test('the services a production deployment needs are there', async (t) => {
  t.same(Object.keys(compose.services).sort(), ['app-1', 'app-2', 'coturn', 'proxy', 'redis']);
  const redisCmd: string[] = compose.services.redis.command;
  t.equal(
    redisCmd[redisCmd.indexOf('--appendonly') + 1],
    'yes',
    'redis persists with an append-only file',
  );
  t.ok(
    compose.services.redis.volumes.some((v: string) => v.endsWith(':/data')),
    'redis data on a volume',
  );
  t.ok(
    compose.services.coturn.command.includes('--use-auth-secret'),
    'coturn uses time-limited credentials',
  );
});

t.test(
  'coturn serves TURN over TLS with a certificate it is given, and the nodes offer it',
  async (t) => {
    const cmd: string[] = compose.services.coturn.command;
    const arg = (name: string) => cmd.find((c) => c.startsWith(`${name}=`))?.slice(name.length + 1);
    const mount = (compose.services.coturn.volumes as string[]).find((v) =>
      v.includes(':/etc/coturn/tls'),
    );
    t.ok(mount?.endsWith(':ro'), 'the certificate folder is mounted read-only');
    t.match(arg('--cert'), /^\/etc\/coturn\/tls\//, 'the certificate comes from that folder');
    t.match(arg('--pkey'), /^\/etc\/coturn\/tls\//, 'so does its key');
    t.match(arg('--tls-listening-port'), /5349/, 'a TLS listening port');
    const urls: string = compose.services['app-1'].environment.TURN_URLS;
    t.match(
      urls,
      /turns:\$\{PUBLIC_HOST\}:\$\{TURN_TLS_PORT:-5349\}\?transport=tcp/,
      'the nodes hand out a turns: URL on that port',
    );
  },
);

t.test(
  'every app variable is a setting the config knows, and the required ones are set',
  async (t) => {
    for (const replica of replicas) {
      const env: Record<string, string> = compose.services[replica].environment;
      const known = new Set([...Object.keys(envToPath), 'TZ']);
      for (const name of Object.keys(env))
        t.ok(known.has(name), `${replica}: ${name} is a config setting`);
      for (const name of [
        'PUBLIC_URL',
        'ANNOUNCED_ADDRESS',
        'REDIS_URL',
        'DATA_DIR',
        'TURN_URLS',
        'TURN_SECRET',
        'NODE_ID',
        'NODE_URL',
      ]) {
        t.ok(name in env, `${replica}: ${name} is set`);
      }
    }
  },
);

t.test(
  'each replica, filled in as .env.example would, is a valid configuration of its own node',
  async (t) => {
    const sample = Object.fromEntries(
      readFileSync(new URL('../../.env.example', import.meta.url), 'utf8')
        .split('\n')
        .filter((l) => l.includes('=') && !l.trimStart().startsWith('#'))
        .map((l) => l.split('=', 2) as [string, string]),
    );
    const lookup = (name: string) => sample[name] ?? '';
    // Expand ${VAR}, ${VAR:-default}, ${VAR:?message} the way compose does.
    const expand = (value: string): string =>
      value.replace(
        /\$\{(\w+)(?::([-?])((?:[^{}]|\{[^}]*\})*))?\}/g,
        (_m, name: string, op?: string, rest?: string) => {
          const v = lookup(name);
          if (v) return v;
          if (op === '?') throw new Error(`${name} is required: ${rest}`);
          return op === '-' ? expand(rest ?? '') : '';
        },
      );
    const configs = replicas.map((replica) => {
      const env = Object.fromEntries(
        Object.entries(compose.services[replica].environment as Record<string, string>).map(
          ([k, v]) => [k, expand(String(v))],
        ),
      );
      return loadConfig({ env });
    });
    for (const config of configs) {
      t.equal(config.http.publicUrl, 'https://hop.sogd.example.vn');
      t.equal(config.media.announcedAddress, '203.0.113.10');
      t.same(
        config.turn.urls,
        [
          'turn:203.0.113.10:3478?transport=udp',
          'turn:203.0.113.10:3478?transport=tcp',
          'turns:hop.sogd.example.vn:5349?transport=tcp',
        ],
        'TURN over UDP, TCP and TLS',
      );
      t.match(config.redis.url, /^redis:\/\/:.+@127\.0\.0\.1:6379$/);
      t.same(config.http.trustedProxies, ['127.0.0.1'], 'Caddy on loopback is believed');
    }
    const [one, two] = configs as [(typeof configs)[0], (typeof configs)[0]];
    t.equal(one.redis.url, two.redis.url, 'both nodes share one Redis');
    t.not(one.cluster.nodeId, two.cluster.nodeId, 'each node has its own id');
    t.not(one.cluster.nodeUrl, two.cluster.nodeUrl, 'and its own direct URL');
    t.not(one.http.port, two.http.port, 'and its own HTTP port');
    t.not(one.media.rtcPortBase, two.media.rtcPortBase, 'and its own RTC ports');
    // Up to 64 workers each (the schema's limit): the two ranges never overlap.
    t.ok(
      Math.abs(one.media.rtcPortBase - two.media.rtcPortBase) >= 64,
      'whose ranges do not overlap',
    );

    // The proxy: the public host balances both nodes; each node URL reaches its own node only.
    const site = (address: string) => {
      const at = caddyfile.indexOf(`${address} {`);
      t.ok(at >= 0, `Caddy serves ${address}`);
      return caddyfile.slice(at, caddyfile.indexOf('\n}', at));
    };
    const port = (c: typeof one) => `127.0.0.1:${c.http.port}`;
    const main = site('{$PUBLIC_HOST}');
    t.ok(main.includes(port(one)) && main.includes(port(two)), 'the public host balances both');
    t.match(main, /health_uri \/ready/, 'and leaves out a node that is not ready');
    for (const c of configs) {
      const direct = new URL(c.cluster.nodeUrl!);
      t.equal(direct.hostname, 'hop.sogd.example.vn', 'a node URL on the public host (cookie)');
      const block = site(`{$PUBLIC_HOST}:${direct.port}`);
      const targets = block.match(/127\.0\.0\.1:\d+/g);
      t.same(targets, [port(c)], `${direct.port} reaches ${c.cluster.nodeId} only`);
    }
    t.ok(
      compose.services.proxy.volumes.includes('./deploy/Caddyfile:/etc/caddy/Caddyfile:ro'),
      'the proxy reads the committed Caddyfile',
    );
  },
);

t.test(
  'coturn relays to the internet only: no private, loopback, link-local or multicast peers',
  async (t) => {
    const cmd: string[] = compose.services.coturn.command;
    t.ok(cmd.includes('--no-multicast-peers'), 'no multicast peers');
    const toNumber = (ip: string) => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
    const denied = cmd
      .filter((c) => c.startsWith('--denied-peer-ip='))
      .map((c) => c.slice('--denied-peer-ip='.length));
    const v4 = denied
      .filter((r) => !r.includes(':'))
      .map((r) => {
        const [from, to = from] = r.split('-') as [string, string?];
        return [toNumber(from), toNumber(to)] as const;
      });
    const isDenied = (ip: string) => v4.some(([a, b]) => toNumber(ip) >= a && toNumber(ip) <= b);
    for (const ip of [
      '0.0.0.1',
      '10.1.2.3',
      '100.64.0.1',
      '127.0.0.1',
      '169.254.169.254',
      '172.16.0.1',
      '172.31.255.254',
      '192.168.1.10',
      '224.0.0.1',
    ])
      t.ok(isDenied(ip), `${ip} denied`);
    for (const ip of ['203.0.113.10', '8.8.8.8', '172.32.0.1'])
      t.notOk(isDenied(ip), `${ip} allowed`);
    for (const range of ['::1', 'fc00::', 'fe80::'])
      t.ok(
        denied.some((r) => r.startsWith(range)),
        `${range} range denied`,
      );
    t.ok(
      cmd.includes(`--allowed-peer-ip=\${ANNOUNCED_ADDRESS}`),
      'the media server itself stays reachable even on a private address',
    );
  },
);
