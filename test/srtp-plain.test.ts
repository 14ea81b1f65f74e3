import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type { types } from 'mediasoup';
import * as mediasoup from 'mediasoup';
import t from 'tap';
import { routeMediasoupLogs } from '../media/mediasoupLogging.js';
import { testLogger } from './helpers/logger.js';

// Opus RTP from a UDP socket → router A → SRTP PlainTransport → SRTP PlainTransport → router B
// → plain RTP back to a UDP socket. Payloads must come back byte for byte, and RTCP must flow
// over SRTCP both ways (a round-trip time is measured), for every suite the worker offers.
const suites: types.SrtpCryptoSuite[] = [
  'AEAD_AES_256_GCM',
  'AEAD_AES_128_GCM',
  'AES_CM_128_HMAC_SHA1_80',
  'AES_CM_128_HMAC_SHA1_32',
];
const mediaCodecs: types.RouterRtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
];

function bindUdp(): Promise<Socket> {
  return new Promise((ok) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => ok(s));
  });
}

function rtpPacket(seq: number, timestamp: number, ssrc: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = 100;
  header.writeUInt16BE(seq & 0xffff, 2);
  header.writeUInt32BE(timestamp >>> 0, 4);
  header.writeUInt32BE(ssrc, 8);
  return Buffer.concat([header, payload]);
}

function rtpPayload(packet: Buffer): Buffer | undefined {
  const pt = packet[1]! & 0x7f;
  if (pt >= 72 && pt <= 79) return undefined; // RTCP
  let offset = 12 + (packet[0]! & 0x0f) * 4;
  if (packet[0]! & 0x10) offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  return packet.subarray(offset);
}

const counters = routeMediasoupLogs(testLogger);
let worker: types.Worker;

t.before(async () => {
  worker = await mediasoup.createWorker({
    logLevel: 'warn',
    logTags: ['srtp', 'rtp', 'rtcp'],
    disableLiburing: true,
  });
});
t.teardown(async () => {
  const pid = worker.pid;
  worker.close();
  await new Promise((r) => setTimeout(r, 100));
  t.throws(() => process.kill(pid, 0), 'the worker process has exited');
});

for (const suite of suites) {
  t.test(`SRTP round trip with ${suite}`, async (t) => {
    const routerA = await worker.createRouter({ mediaCodecs });
    const routerB = await worker.createRouter({ mediaCodecs });
    const listen = { protocol: 'udp' as const, ip: '127.0.0.1' };
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
    t.equal(srtpA.srtpParameters?.cryptoSuite, suite);

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

    const ssrc = 0x1234_5678;
    const producerA = await input.produce({
      kind: 'audio',
      rtpParameters: {
        codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }],
        encodings: [{ ssrc }],
      },
    });
    const consumerA = await srtpA.consume({
      producerId: producerA.id,
      rtpCapabilities: routerA.rtpCapabilities,
    });
    const producerB = await srtpB.produce({
      kind: 'audio',
      rtpParameters: consumerA.rtpParameters,
    });
    const consumerB = await output.consume({
      producerId: producerB.id,
      rtpCapabilities: routerB.rtpCapabilities,
    });

    const sink = await bindUdp();
    const received: Buffer[] = [];
    sink.on('message', (msg) => {
      const payload = rtpPayload(msg);
      if (payload) received.push(Buffer.from(payload));
    });
    await output.connect({ ip: '127.0.0.1', port: sink.address().port });

    const source = await bindUdp();
    const sent: Buffer[] = [];
    for (let i = 0; i < 150; i++) {
      const payload = randomBytes(80 + (i % 40));
      sent.push(payload);
      source.send(rtpPacket(1000 + i, i * 960, ssrc, payload), input.tuple.localPort, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 20));
    }
    // RTCP sender and receiver reports are sent every ~1 s (audio); wait for a round trip.
    let rtt = 0;
    for (let i = 0; i < 40 && !rtt; i++) {
      await new Promise((r) => setTimeout(r, 250));
      rtt = (await consumerA.getStats())[0]?.roundTripTime ?? 0;
    }

    t.equal(received.length, sent.length, 'every packet came through');
    const sentSet = new Set(sent.map((b) => b.toString('hex')));
    t.ok(
      received.every((b) => sentSet.has(b.toString('hex'))),
      'payloads are identical after encryption and decryption',
    );
    t.ok(rtt > 0, `SRTCP flows both ways (round-trip time ${rtt} ms)`);
    const statsB = (await producerB.getStats())[0];
    t.equal(statsB?.packetCount, sent.length, 'router B received every packet over SRTP');
    t.equal(counters.srtpErrors, 0, 'the worker logged no SRTP error');

    source.close();
    sink.close();
    routerA.close();
    routerB.close();
    t.ok(
      consumerB.closed && producerA.closed && srtpA.closed,
      'closing a router closes what it owns',
    );
  });
}
