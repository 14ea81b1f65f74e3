/**
 * The baseline of the sites benchmark: bare mediasoup (one worker, one WebRtcServer, one
 * router) behind the smallest part of diemcau's socket.io protocol the emulator uses, so the
 * same emulated sites receive the same main point over the same kind of WebRtcTransport with
 * none of diemcau's orchestration (sessions, rules, quality sampling, participant updates).
 * GET /cpu answers the worker's CPU seconds. Usage: npx tsx scripts/bench/bareSfu.ts PORT RTC_PORT
 */
import { createServer } from 'node:http';
import type { types } from 'mediasoup';
import * as mediasoup from 'mediasoup';
import { Server } from 'socket.io';
import { mediaCodecs } from '../../media/mediaCodecs.js';
import { procUsage } from '../../server/live/liveMetrics.js';

const port = Number(process.argv[2] ?? 18_090);
const rtcPort = Number(process.argv[3] ?? 18_190);
const worker = await mediasoup.createWorker({ logLevel: 'error', disableLiburing: true });
const webRtcServer = await worker.createWebRtcServer({
  listenInfos: [
    { protocol: 'udp', ip: '127.0.0.1', port: rtcPort },
    { protocol: 'tcp', ip: '127.0.0.1', port: rtcPort },
  ],
});
const router = await worker.createRouter({ mediaCodecs });
const stationProducers: types.Producer[] = [];
interface Peer {
  socket: import('socket.io').Socket;
  transports: Map<string, types.WebRtcTransport>;
  consumers: Map<string, types.Consumer>;
  caps?: types.RtpCapabilities;
  recv?: types.WebRtcTransport;
}
const sites = new Set<Peer>();

const http = createServer((req, res) => {
  if (req.url === '/stats') {
    // Each site's estimate (transport-cc) and the layers its consumers forward, for debugging.
    void Promise.all(
      [...sites].map(async (peer) => ({
        availableOutgoingBitrate: (await peer.recv?.getStats())?.[0]?.availableOutgoingBitrate,
        layers: [...peer.consumers.values()].map((c) => c.currentLayers ?? null),
      })),
    ).then((stats) => res.end(JSON.stringify(stats)));
    return;
  }
  if (req.url === '/cpu') {
    res.end(JSON.stringify({ cpuSeconds: procUsage(worker.pid)?.cpuSeconds ?? 0 }));
    return;
  }
  res.statusCode = 404;
  res.end();
});
const io = new Server(http, { transports: ['websocket'] });

async function consume(peer: Peer, producer: types.Producer): Promise<void> {
  if (
    !peer.caps ||
    !peer.recv ||
    !router.canConsume({ producerId: producer.id, rtpCapabilities: peer.caps })
  )
    return;
  const consumer = await peer.recv.consume({
    producerId: producer.id,
    rtpCapabilities: peer.caps,
    paused: true,
    preferredLayers: { spatialLayer: 2, temporalLayer: 2 },
  });
  peer.consumers.set(consumer.id, consumer);
  peer.socket.emit('newConsumer', {
    consumerId: consumer.id,
    producerId: producer.id,
    kind: consumer.kind,
    rtpParameters: consumer.rtpParameters,
    source: producer.kind === 'video' ? 'camera' : 'microphone',
    endpointId: 'station',
    role: 'station',
  });
}

io.on('connection', (socket) => {
  const isStation = socket.handshake.auth.token === 'station';
  const peer: Peer = { socket, transports: new Map(), consumers: new Map() };
  if (!isStation) sites.add(peer);
  socket.on('disconnect', () => {
    sites.delete(peer);
    for (const t of peer.transports.values()) t.close();
  });
  const handlers: Record<string, (p: Record<string, unknown>) => Promise<unknown>> = {
    join: async () => ({
      endpointId: isStation ? 'station' : `site:${socket.id}`,
      role: isStation ? 'station' : 'site',
      ...(isStation ? {} : { siteId: socket.id }),
      routerRtpCapabilities: router.rtpCapabilities,
      iceServers: [],
      session: { meetingId: 'bare', status: 'live', agendaIndex: -1, handQueue: [] },
      participants: [],
    }),
    createTransport: async (p) => {
      const t = await router.createWebRtcTransport({
        webRtcServer,
        enableUdp: true,
        enableTcp: true,
        preferUdp: true,
        initialAvailableOutgoingBitrate: 1_500_000,
      });
      peer.transports.set(t.id, t);
      if (p.direction === 'recv') peer.recv = t;
      return {
        transportId: t.id,
        iceParameters: t.iceParameters,
        iceCandidates: t.iceCandidates,
        dtlsParameters: t.dtlsParameters,
      };
    },
    connectTransport: async (p) => {
      await peer.transports
        .get(p.transportId as string)
        ?.connect({ dtlsParameters: p.dtlsParameters as types.DtlsParameters });
      return {};
    },
    setRtpCapabilities: async (p) => {
      peer.caps = p.rtpCapabilities as types.RtpCapabilities;
      if (!isStation) for (const producer of stationProducers) await consume(peer, producer);
      return {};
    },
    produce: async (p) => {
      const producer = await peer.transports.get(p.transportId as string)!.produce({
        kind: p.kind as types.MediaKind,
        rtpParameters: p.rtpParameters as types.RtpParameters,
      });
      stationProducers.push(producer);
      for (const site of sites) await consume(site, producer);
      return { producerId: producer.id };
    },
    resumeConsumer: async (p) => {
      await peer.consumers.get(p.consumerId as string)?.resume();
      return {};
    },
    setConsumerLayers: async (p) => {
      await peer.consumers
        .get(p.consumerId as string)
        ?.setPreferredLayers({ spatialLayer: p.spatialLayer as number, temporalLayer: 2 });
      return {};
    },
  };
  socket.onAny((event: string, ...args: unknown[]) => {
    const ack = args.at(-1) as (a: unknown) => void;
    const handler = handlers[event];
    if (!handler) return ack?.({ ok: true, data: {} });
    handler(args[0] as Record<string, unknown>).then(
      (data) => ack({ ok: true, data }),
      (err: Error) =>
        ack({
          ok: false,
          error: { code: 'internal', message: { vi: err.message, en: err.message } },
        }),
    );
  });
});
http.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
process.once('SIGTERM', () => {
  io.close();
  worker.close();
  process.exit(0);
});
