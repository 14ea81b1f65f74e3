import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type { types } from 'mediasoup';
import * as mediasoup from 'mediasoup';
import t from 'tap';
import { routeMediasoupLogs } from '../../media/mediasoupLogging.js';
import { testLogger } from '../helpers/logger.js';

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

    // A relay delays each direction by 3 ms, so the RTCP round-trip time is measurable (on bare
    // loopback it rounds to zero) and proves SR and RR both crossed SRTCP.
    const facingA = await bindUdp();
    const facingB = await bindUdp();
    const delay = (from: Socket, to: Socket, port: () => number) =>
      from.on('message', (msg) => setTimeout(() => to.send(msg, port(), '127.0.0.1'), 3));
    delay(facingA, facingB, () => srtpB.tuple.localPort);
    delay(facingB, facingA, () => srtpA.tuple.localPort);
    await srtpA.connect({
      ip: '127.0.0.1',
      port: facingA.address().port,
      srtpParameters: srtpB.srtpParameters,
    });
    await srtpB.connect({
      ip: '127.0.0.1',
      port: facingB.address().port,
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

    // Send 20 ms packets until RTCP has measured a round trip over SRTCP (reports are sent only
    // while the stream is active), then stop and let the last packets arrive.
    const source = await bindUdp();
    const sent: Buffer[] = [];
    let rtt = 0;
    const started = Date.now();
    for (let i = 0; (sent.length < 150 || !rtt) && Date.now() - started < 15_000; i++) {
      const payload = randomBytes(80 + (i % 40));
      sent.push(payload);
      source.send(rtpPacket(1000 + i, i * 960, ssrc, payload), input.tuple.localPort, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 20));
      if (i % 25 === 0) rtt = (await consumerA.getStats())[0]?.roundTripTime ?? 0;
    }
    await new Promise((r) => setTimeout(r, 200));

    t.equal(received.length, sent.length, 'every packet came through');
    const sentSet = new Set(sent.map((b) => b.toString('hex')));
    t.ok(
      received.every((b) => sentSet.has(b.toString('hex'))),
      'payloads are identical after encryption and decryption',
    );
    t.ok(
      rtt >= 5,
      `SRTCP flows both ways (round-trip time ${rtt.toFixed(1)} ms through a 2 × 3 ms relay)`,
    );
    const statsB = (await producerB.getStats())[0];
    t.equal(statsB?.packetCount, sent.length, 'router B received every packet over SRTP');
    t.equal(counters.srtpErrors, 0, 'the worker logged no SRTP error');

    source.close();
    sink.close();
    facingA.close();
    facingB.close();
    routerA.close();
    routerB.close();
    t.ok(
      consumerB.closed && producerA.closed && srtpA.closed,
      'closing a router closes what it owns',
    );
  });
}

t.test('closing the worker ends its process', async (t) => {
  const pid = worker.pid;
  worker.close();
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
  t.notOk(alive(), 'the worker process has exited');
});
