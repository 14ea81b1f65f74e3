/**
 * Fan-out benchmark: one ~1.2 Mbps video-like stream into a router, forwarded over SRTP to N
 * PlainTransport receivers. Prints the worker's CPU per forwarded packet, its memory, delivery
 * and the SRTP error count. Usage: npx tsx scripts/bench/fanout.ts [N ...] (default 50 200 500)
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type { types } from 'mediasoup';
import * as mediasoup from 'mediasoup';
import { pino } from 'pino';
import { mediaCodecs } from '../../media/mediaCodecs.js';
import { routeMediasoupLogs } from '../../media/mediasoupLogging.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PACKET_BYTES = 1100;
const PPS = Math.round(1_200_000 / 8 / PACKET_BYTES); // ≈ 136 packets/s
/** BENCH_TCC=0 gives receivers capabilities without transport-cc (no bandwidth probation). */
const WITH_TCC = process.env.BENCH_TCC !== '0';
const SUITE = (process.env.BENCH_SUITE ?? 'AEAD_AES_256_GCM') as types.SrtpCryptoSuite;
const counts = process.argv.slice(2).map(Number).filter(Boolean);
const receiversList = counts.length ? counts : [50, 200, 500];

const logger = pino({ level: 'warn' });
const counters = routeMediasoupLogs(logger);

function bind(): Promise<Socket> {
  return new Promise((ok) => {
    const s = createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024 });
    s.bind(0, '127.0.0.1', () => ok(s));
  });
}

async function run(n: number): Promise<void> {
  const worker = await mediasoup.createWorker({
    logLevel: 'warn',
    logTags: ['srtp'],
    disableLiburing: true,
  });
  const router = await worker.createRouter({ mediaCodecs });
  const listenInfo = { protocol: 'udp' as const, ip: '127.0.0.1' };
  const input = await router.createPlainTransport({ listenInfo, comedia: true, rtcpMux: true });
  const ssrc = 0x2222_0001;
  const producer = await input.produce({
    kind: 'video',
    rtpParameters: {
      codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }],
      encodings: [{ ssrc }],
    },
  });
  const sink = await bind();
  let received = 0;
  // Count media only: not RTCP (PT 192–223 in the second byte) nor probation padding (SSRC 1234).
  sink.on('message', (msg) => {
    const b1 = msg[1]!;
    if (b1 >= 192 && b1 <= 223) return;
    if (msg.readUInt32BE(8) === 1234) return;
    received++;
  });
  const consumers: types.Consumer[] = [];
  const caps: types.RtpCapabilities = WITH_TCC
    ? router.rtpCapabilities
    : {
        codecs: router.rtpCapabilities.codecs?.map((c) => ({
          ...c,
          rtcpFeedback: c.rtcpFeedback?.filter((f) => f.type !== 'transport-cc'),
        })),
        headerExtensions: router.rtpCapabilities.headerExtensions?.filter(
          (h) => !h.uri.includes('transport-wide-cc'),
        ),
      };
  const transports: types.PlainTransport[] = [];
  for (let i = 0; i < n; i++) {
    const t = await router.createPlainTransport({
      listenInfo,
      rtcpMux: true,
      enableSrtp: true,
      srtpCryptoSuite: SUITE,
    });
    await t.connect({
      ip: '127.0.0.1',
      port: sink.address().port,
      srtpParameters: t.srtpParameters!,
    });
    consumers.push(await t.consume({ producerId: producer.id, rtpCapabilities: caps }));
    transports.push(t);
  }
  const source = await bind();
  // Every packet looks like the start of a VP8 keyframe (P bit 0, start code, 1280x720), so
  // consumers forward from the first packet; the rest is noise.
  const payload = Buffer.concat([
    Buffer.from([0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x00, 0x05, 0xd0, 0x02]),
    randomBytes(PACKET_BYTES - 13 - 10),
  ]);
  let seq = 0;
  const send = () => {
    const header = Buffer.alloc(13);
    header[0] = 0x80;
    header[1] = 101;
    header.writeUInt16BE(seq & 0xffff, 2);
    header.writeUInt32BE((seq * 3000) >>> 0, 4);
    header.writeUInt32BE(ssrc, 8);
    header[12] = 0x10; // VP8 payload descriptor: start of partition 0
    source.send(Buffer.concat([header, payload]), input.tuple.localPort, '127.0.0.1');
    seq++;
  };
  // Warm up one second, then measure.
  const timer = setInterval(() => {
    for (let i = 0; i < PPS / 50; i++) send();
  }, 20);
  await new Promise((r) => setTimeout(r, 1000));
  const workerSent = async () => {
    let n = 0;
    for (const c of consumers)
      n += (await c.getStats()).find((s) => s.type === 'outbound-rtp')?.packetCount ?? 0;
    return n;
  };
  const sent0 = await workerSent();
  const u0 = await worker.getResourceUsage();
  const seq0 = seq;
  const recv0 = received;
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const u1 = await worker.getResourceUsage();
  const sentByWorker = (await workerSent()) - sent0;
  const sent = seq - seq0;
  const got = received - recv0;
  clearInterval(timer);
  const cpuMs = u1.ru_utime + u1.ru_stime - (u0.ru_utime + u0.ru_stime);
  const forwarded = sent * n;
  console.log(
    [
      `receivers=${String(n).padStart(4)}`,
      `in=${(sent / SECONDS).toFixed(0)}pps`,
      `cpu=${((cpuMs / (SECONDS * 1000)) * 100).toFixed(1)}%`,
      `per-packet=${((cpuMs * 1000) / forwarded).toFixed(2)}µs`,
      // On loopback the kernel's delivery to the receiving socket is charged to the sender's
      // system time, so user time is the worker's own share (SRTP, routing).
      `user=${(((u1.ru_utime - u0.ru_utime) * 1000) / forwarded).toFixed(2)}µs`,
      `sys=${(((u1.ru_stime - u0.ru_stime) * 1000) / forwarded).toFixed(2)}µs`,
      `forwarded=${((sentByWorker / forwarded) * 100).toFixed(1)}%`,
      `reached-sink=${((got / forwarded) * 100).toFixed(1)}%`,
      `worker-rss=${(u1.ru_maxrss / 1024).toFixed(0)}MiB`,
      `srtp-errors=${counters.srtpErrors}`,
    ].join('  '),
  );
  source.close();
  sink.close();
  worker.close();
}

console.log(
  `fan-out of one ${((PPS * PACKET_BYTES * 8) / 1e6).toFixed(2)} Mbps stream over SRTP (${SUITE}), ` +
    `${SECONDS} s per run, receivers ${WITH_TCC ? 'with' : 'without'} transport-cc`,
);
for (const n of receiversList) await run(n);
