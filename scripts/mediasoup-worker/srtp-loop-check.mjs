// Standalone check of a mediasoup-worker binary over SRTP PlainTransports,
// for every SRTP crypto suite (not part of the build; not a project test).
//
//   MEDIASOUP_WORKER_BIN="$(bash scripts/build-mediasoup-worker.sh)" \
//     node scripts/mediasoup-worker/srtp-loop-check.mjs
//
// Env: SUITES (comma list), DURATION_MS (per suite, default 6000),
// VIDEO_PPS (default 100), VIDEO_SIZE (default 1000). Exit code 0 = all OK.
//
// SRTP PlainTransport loop test for a mediasoup-worker binary.
// UDP (node dgram) --plain RTP--> router A [input] -> producers (opus + VP8)
//   router A [srtpA, enableSrtp] --SRTP/SRTCP over 127.0.0.1--> router B [srtpB, enableSrtp]
//   router B [output] --plain RTP--> UDP sink (payloads checked byte for byte)
// transport-cc is negotiated on the SRTP hop, so srtpA runs a TCC client with
// bandwidth probation (padding packets with SSRC 1234).
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import * as mediasoup from 'mediasoup';

const out = (line) => process.stdout.write(`${line}\n`);

const suites = (
  process.env.SUITES ||
  'AEAD_AES_256_GCM,AEAD_AES_128_GCM,AES_CM_128_HMAC_SHA1_80,AES_CM_128_HMAC_SHA1_32'
).split(',');
const DURATION_MS = Number(process.env.DURATION_MS || 6000);
const VIDEO_PPS = Number(process.env.VIDEO_PPS || 100); // video packets per second
const VIDEO_SIZE = Number(process.env.VIDEO_SIZE || 1000);

const counters = { warn: 0, error: 0, srtp: 0, lines: [] };
const srtpRe = /srtp|replay check/i;
mediasoup.setLogEventListeners({
  ondebug: (_ns, line) => {
    if (srtpRe.test(line) && /fail|error|cannot/i.test(line)) {
      counters.srtp++;
      if (counters.lines.length < 20) counters.lines.push(`[debug] ${line}`);
    }
  },
  onwarn: (_ns, line) => {
    counters.warn++;
    if (srtpRe.test(line)) counters.srtp++;
    if (counters.lines.length < 20) counters.lines.push(`[warn] ${line}`);
  },
  onerror: (_ns, line) => {
    counters.error++;
    if (srtpRe.test(line)) counters.srtp++;
    if (counters.lines.length < 20) counters.lines.push(`[error] ${line}`);
  },
});

const mediaCodecs = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
];

const bindUdp = () =>
  new Promise((ok) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => ok(s));
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function rtp(pt, seq, ts, ssrc, payload, marker = false) {
  const h = Buffer.alloc(12);
  h[0] = 0x80;
  h[1] = (marker ? 0x80 : 0) | pt;
  h.writeUInt16BE(seq & 0xffff, 2);
  h.writeUInt32BE(ts >>> 0, 4);
  h.writeUInt32BE(ssrc >>> 0, 8);
  return Buffer.concat([h, payload]);
}
function parse(pkt) {
  const pt = pkt[1] & 0x7f;
  if (pt >= 72 && pt <= 79) return undefined; // RTCP
  let off = 12 + (pkt[0] & 0x0f) * 4;
  if (pkt[0] & 0x10) off += 4 + pkt.readUInt16BE(off + 2) * 4;
  let end = pkt.length;
  if (pkt[0] & 0x20) end -= pkt[end - 1];
  return { pt, ssrc: pkt.readUInt32BE(8), payload: pkt.subarray(off, end) };
}
// Minimal VP8 payload descriptor (no extensions) + fake VP8 frame bytes.
// keyframe: first packet of a picture with S=1 and P bit (frame header) = 0.
function vp8Payload(start, key, body) {
  const desc = Buffer.from([start ? 0x10 : 0x00]);
  const hdr = start
    ? Buffer.from([key ? 0x00 : 0x01, 0, 0, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01])
    : Buffer.alloc(0);
  return Buffer.concat([desc, hdr, body]);
}

const worker = await mediasoup.createWorker({
  logLevel: 'debug',
  logTags: ['srtp', 'rtp', 'rtcp', 'bwe'],
  disableLiburing: true,
});
out(`worker pid ${worker.pid} bin ${process.env.MEDIASOUP_WORKER_BIN}`);
let failures = 0;
const check = (ok, msg) => {
  out(`${ok ? 'ok' : 'NOT OK'} - ${msg}`);
  if (!ok) failures++;
};

for (const suite of suites) {
  const before = { srtp: counters.srtp, warn: counters.warn, error: counters.error };
  const routerA = await worker.createRouter({ mediaCodecs });
  const routerB = await worker.createRouter({ mediaCodecs });
  const listen = { protocol: 'udp', ip: '127.0.0.1' };
  const input = await routerA.createPlainTransport({
    listenInfo: listen,
    comedia: true,
    rtcpMux: true,
  });
  const srtpA = await routerA.createPlainTransport({
    listenInfo: listen,
    rtcpMux: true,
    enableSrtp: true,
    srtpCryptoSuite: suite,
  });
  const srtpB = await routerB.createPlainTransport({
    listenInfo: listen,
    rtcpMux: true,
    enableSrtp: true,
    srtpCryptoSuite: suite,
  });
  const output = await routerB.createPlainTransport({ listenInfo: listen, rtcpMux: true });
  check(
    srtpA.srtpParameters?.cryptoSuite === suite && srtpB.srtpParameters?.cryptoSuite === suite,
    `${suite}: transports use the suite`,
  );
  await srtpA.connect({
    ip: '127.0.0.1',
    port: srtpB.tuple.localPort,
    srtpParameters: srtpB.srtpParameters,
  });
  await srtpB.connect({
    ip: '127.0.0.1',
    port: srtpA.tuple.localPort,
    srtpParameters: srtpA.srtpParameters,
  });

  const aSsrc = 0x11111111,
    vSsrc = 0x22222222;
  const prodA = {
    audio: await input.produce({
      kind: 'audio',
      rtpParameters: {
        codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }],
        encodings: [{ ssrc: aSsrc }],
      },
    }),
    video: await input.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }],
        encodings: [{ ssrc: vSsrc }],
      },
    }),
  };
  // routerA.rtpCapabilities include transport-wide-cc + transport-cc feedback:
  // srtpA gets a TransportCongestionControlClient (probation packets).
  const consA = {},
    prodB = {},
    consB = {};
  for (const kind of ['audio', 'video']) {
    consA[kind] = await srtpA.consume({
      producerId: prodA[kind].id,
      rtpCapabilities: routerA.rtpCapabilities,
    });
    prodB[kind] = await srtpB.produce({ kind, rtpParameters: consA[kind].rtpParameters });
    consB[kind] = await output.consume({
      producerId: prodB[kind].id,
      rtpCapabilities: routerB.rtpCapabilities,
    });
  }
  const tcc = consA.video.rtpParameters.headerExtensions.some((e) =>
    e.uri.includes('transport-wide-cc'),
  );
  check(tcc, `${suite}: transport-wide-cc negotiated on the SRTP hop`);

  const sink = await bindUdp();
  const got = { audio: [], video: [] };
  const outSsrc = {
    [consB.audio.rtpParameters.encodings[0].ssrc]: 'audio',
    [consB.video.rtpParameters.encodings[0].ssrc]: 'video',
  };
  sink.on('message', (m) => {
    const p = parse(m);
    if (p && outSsrc[p.ssrc]) got[outSsrc[p.ssrc]].push(Buffer.from(p.payload).toString('hex'));
  });
  await output.connect({ ip: '127.0.0.1', port: sink.address().port });

  const source = await bindUdp();
  const sent = { audio: [], video: [] };
  const send = (buf) => source.send(buf, input.tuple.localPort, '127.0.0.1');
  let aSeq = 100,
    vSeq = 60000,
    aTs = 0,
    vTs = 0; // video seq wraps during the test
  const t0 = Date.now();
  let tick = 0;
  let maxRtt = 0;
  const rttPoll = setInterval(async () => {
    for (const k of ['audio', 'video']) {
      try {
        maxRtt = Math.max(maxRtt, (await consA[k].getStats())[0]?.roundTripTime ?? 0);
      } catch {}
    }
  }, 100);
  while (Date.now() - t0 < DURATION_MS) {
    if (tick === 100) await consB.video.requestKeyFrame(); // PLI: router B -> router A over SRTCP
    // audio every 20 ms; video VIDEO_PPS/50 packets per 20 ms (one "frame" per 40 ms).
    const ap = randomBytes(60 + (tick % 60));
    sent.audio.push(ap.toString('hex'));
    aTs += 960;
    send(rtp(100, aSeq++, aTs, aSsrc, ap));
    const perTick = Math.max(1, Math.round(VIDEO_PPS / 50));
    if (tick % 2 === 0) vTs += 3600;
    for (let i = 0; i < perTick; i++) {
      const start = tick % 2 === 0 && i === 0;
      const key = start && tick % 100 === 0;
      const vp = vp8Payload(start, key, randomBytes(VIDEO_SIZE));
      sent.video.push(vp.toString('hex'));
      send(rtp(101, vSeq++, vTs, vSsrc, vp, i === perTick - 1 && tick % 2 === 1));
    }
    tick++;
    await sleep(20);
  }
  // wait for stragglers and an RTCP round trip.
  for (let i = 0; i < 30 && !maxRtt; i++) await sleep(200);
  await sleep(500);
  clearInterval(rttPoll);
  const rtt = maxRtt;
  const pliA = (await consA.video.getStats())[0]?.pliCount ?? 0;
  check(
    pliA > 0,
    `${suite}: PLI from router B decrypted by router A (SRTCP B->A, pliCount ${pliA})`,
  );

  for (const kind of ['audio', 'video']) {
    const sentSet = new Set(sent[kind]);
    const identical = got[kind].filter((h) => sentSet.has(h)).length;
    const sB = (await prodB[kind].getStats())[0];
    out(
      `  ${kind}: sent ${sent[kind].length}, received at sink ${got[kind].length} (identical ${identical}), producerB packetCount ${sB?.packetCount} lost ${sB?.packetsLost}`,
    );
    check(
      got[kind].length === sent[kind].length && identical === sent[kind].length,
      `${suite} ${kind}: every packet came through byte-identical`,
    );
    check(
      sB?.packetCount === sent[kind].length,
      `${suite} ${kind}: router B producer received every packet over SRTP`,
    );
  }
  check(rtt > 0, `${suite}: SRTCP both ways: RR answering A's SR (max consumer RTT ${rtt} ms)`);
  const tA = (await srtpA.getStats())[0];
  const tB = (await srtpB.getStats())[0];
  out(
    `  srtpA: rtpBytesSent ${tA.rtpBytesSent} rtxBytesSent ${tA.rtxBytesSent} probationBytesSent ${tA.probationBytesSent} availableOutgoingBitrate ${tA.availableOutgoingBitrate} rtpBytesReceived ${tA.rtpBytesReceived}`,
  );
  out(
    `  srtpB: rtpBytesReceived ${tB.rtpBytesReceived} bytesReceived ${tB.bytesReceived} rtpBytesSent ${tB.rtpBytesSent} bytesSent ${tB.bytesSent}`,
  );
  const d = {
    srtp: counters.srtp - before.srtp,
    warn: counters.warn - before.warn,
    error: counters.error - before.error,
  };
  check(
    d.srtp === 0,
    `${suite}: no SRTP error logged (srtp ${d.srtp}, warnings ${d.warn}, errors ${d.error})`,
  );
  source.close();
  sink.close();
  routerA.close();
  routerB.close();
}

const usage = await worker.getResourceUsage();
out(`worker resource usage: ru_utime ${usage.ru_utime} ms, ru_maxrss ${usage.ru_maxrss} kB`);
if (counters.lines.length) out(`first log lines:\n  ${counters.lines.join('\n  ')}`);
worker.close();
out(failures ? `FAILED: ${failures} check(s)` : 'ALL OK');
process.exit(failures ? 1 : 0);
