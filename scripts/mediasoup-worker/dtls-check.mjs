// Standalone DTLS check of a mediasoup-worker binary (not part of the build; not a
// project test). Needs the `openssl` command line tool.
//
//   MEDIASOUP_WORKER_BIN="$(bash scripts/build-mediasoup-worker.sh)" \
//     node scripts/mediasoup-worker/dtls-check.mjs
//
// DTLS handshake check of a mediasoup-worker binary against `openssl s_client -dtls1_2`
// (no browser): a node UDP relay does ICE (STUN binding with USE-CANDIDATE) towards a
// WebRtcTransport, then relays openssl's DTLS datagrams to it.
import { execFileSync, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as mediasoup from 'mediasoup';

const out = (l) => process.stdout.write(`${l}\n`);
const dir = mkdtempSync(join(tmpdir(), 'dtls-'));
execFileSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    join(dir, 'k.pem'),
    '-out',
    join(dir, 'c.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=client',
  ],
  { stdio: 'ignore' },
);
const fp = execFileSync('openssl', [
  'x509',
  '-in',
  join(dir, 'c.pem'),
  '-noout',
  '-fingerprint',
  '-sha256',
])
  .toString()
  .trim()
  .split('=')[1];

const crcTable = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});
const crc32 = (buf) => {
  let c = -1;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
};
function attr(type, value) {
  const pad = (4 - (value.length % 4)) % 4;
  const h = Buffer.alloc(4);
  h.writeUInt16BE(type, 0);
  h.writeUInt16BE(value.length, 2);
  return Buffer.concat([h, value, Buffer.alloc(pad)]);
}
function stunBinding(username, password) {
  const tid = randomBytes(12);
  const prio = Buffer.alloc(4);
  prio.writeUInt32BE(0x7e0000ff);
  let attrs = Buffer.concat([
    attr(0x0006, Buffer.from(username)),
    attr(0x0024, prio),
    attr(0x0025, Buffer.alloc(0)),
    attr(0x802a, randomBytes(8)),
  ]);
  const hdr = (len) => {
    const h = Buffer.alloc(20);
    h.writeUInt16BE(0x0001, 0);
    h.writeUInt16BE(len, 2);
    h.writeUInt32BE(0x2112a442, 4);
    tid.copy(h, 8);
    return h;
  };
  const mi = createHmac('sha1', password)
    .update(Buffer.concat([hdr(attrs.length + 24), attrs]))
    .digest();
  attrs = Buffer.concat([attrs, attr(0x0008, mi)]);
  const fpv = Buffer.alloc(4);
  fpv.writeUInt32BE((crc32(Buffer.concat([hdr(attrs.length + 8), attrs])) ^ 0x5354554e) >>> 0);
  attrs = Buffer.concat([attrs, attr(0x8028, fpv)]);
  return Buffer.concat([hdr(attrs.length), attrs]);
}

const worker = await mediasoup.createWorker({ logLevel: 'warn', disableLiburing: true });
let died = false;
worker.on('died', (e) => {
  died = true;
  out(`WORKER DIED: ${e}`);
});
const router = await worker.createRouter({
  mediaCodecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 }],
});
const t = await router.createWebRtcTransport({
  listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }],
});
const states = [];
t.on('dtlsstatechange', (s) => states.push(s));
await t.connect({
  dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: fp }] },
});
const wPort = t.iceCandidates[0].port;

const r = createSocket('udp4');
await new Promise((ok) => r.bind(0, '127.0.0.1', ok));
const s = createSocket('udp4');
await new Promise((ok) => s.bind(0, '127.0.0.1', ok));
let peer;
s.on('message', (m, rinfo) => {
  peer = rinfo;
  r.send(m, wPort, '127.0.0.1');
});
let stunOk = false;
r.on('message', (m) => {
  if (m.length >= 20 && m.readUInt32BE(4) === 0x2112a442) {
    if (m.readUInt16BE(0) === 0x0101) stunOk = true;
    return;
  }
  if (peer) s.send(m, peer.port, peer.address);
});
r.send(
  stunBinding(`${t.iceParameters.usernameFragment}:cli`, t.iceParameters.password),
  wPort,
  '127.0.0.1',
);
for (let i = 0; i < 20 && !stunOk; i++) await new Promise((ok) => setTimeout(ok, 50));
out(`ICE binding success: ${stunOk}, iceState: ${t.iceState}`);

const ossl = spawn(
  'openssl',
  [
    's_client',
    '-dtls1_2',
    '-connect',
    `127.0.0.1:${s.address().port}`,
    '-cert',
    join(dir, 'c.pem'),
    '-key',
    join(dir, 'k.pem'),
    '-use_srtp',
    'SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80',
    '-mtu',
    '1200',
  ],
  { stdio: ['pipe', 'pipe', 'pipe'] },
);
let osslOut = '';
ossl.stdout.on('data', (d) => {
  osslOut += d;
});
ossl.stderr.on('data', (d) => {
  osslOut += d;
});
for (let i = 0; i < 60 && !states.includes('connected') && !died; i++)
  await new Promise((ok) => setTimeout(ok, 100));
await new Promise((ok) => setTimeout(ok, 300));
ossl.kill();
const srtpLine = osslOut.split('\n').find((l) => /SRTP Extension negotiated/.test(l));
out(
  `openssl: ${srtpLine ?? '(no SRTP line)'}; protocol: ${(osslOut.match(/Protocol\s*:\s*(\S+)/) || [])[1]}`,
);
out(`dtls states: ${states.join(' -> ')}; worker died: ${died}`);
const ok = stunOk && states.includes('connected') && !died && !!srtpLine;
if (!died) worker.close();
out(ok ? 'DTLS OK' : 'DTLS FAILED');
process.exit(ok ? 0 : 1);
