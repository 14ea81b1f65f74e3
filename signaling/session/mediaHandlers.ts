import type { types } from 'mediasoup';
import { LayerGuard } from '../../media/LayerGuard.js';
import type { BandwidthFigure } from '../../protocol/check/score.js';
import { badField, forbidden, notFound } from '../../protocol/errors.js';
import type { HandlerGroup } from './handlerTypes.js';
import type { MeetingSession } from './MeetingSession.js';
import type { Participant } from './Participant.js';
import { receiveCeilingBps, receiveStartBps } from './receiveStart.js';

type MediaRequest =
  | 'join'
  | 'setRtpCapabilities'
  | 'createTransport'
  | 'connectTransport'
  | 'restartIce'
  | 'produce'
  | 'closeProducer'
  | 'pauseProducer'
  | 'resumeProducer'
  | 'resumeConsumer'
  | 'setConsumerLayers'
  | 'requestKeyFrame'
  | 'reportStats';

/*
 * mediasoup's parameter objects are checked by our schemas for shape and bounds and by the
 * worker in full; these casts only hand the parsed objects to mediasoup's own types.
 */
const asRtp = (x: unknown) => x as types.RtpParameters;
const asDtls = (x: unknown) => x as types.DtlsParameters;
const asCaps = (x: unknown) => x as types.RtpCapabilities;
const plain = (x: unknown) => x as Record<string, unknown>;

function transportOf(p: Participant, transportId: string) {
  const transport = p.media?.transport(transportId);
  if (!transport)
    throw notFound({
      vi: `transportId: điểm này không có transport ${transportId}`,
      en: `transportId: no transport ${transportId} for this endpoint`,
    });
  return transport;
}

function producerOf(p: Participant, producerId: string) {
  const producer = p.media?.producers.get(producerId);
  if (!producer)
    throw notFound({
      vi: `producerId: điểm này không có producer ${producerId}`,
      en: `producerId: no producer ${producerId} for this endpoint`,
    });
  return producer;
}

function consumerOf(p: Participant, consumerId: string) {
  const consumer = p.media?.consumers.get(consumerId);
  if (!consumer)
    throw notFound({
      vi: `consumerId: điểm này không có consumer ${consumerId}`,
      en: `consumerId: no consumer ${consumerId} for this endpoint`,
    });
  return consumer;
}

/** What this page's site's last check measured of its downlink, if anything. */
async function lastDownlink(
  s: MeetingSession,
  p: Participant,
): Promise<BandwidthFigure | undefined> {
  if (p.siteId === undefined) return undefined;
  return s.check?.downlinkOf(p.siteId).catch((err: Error) => {
    s.log.warn({ endpointId: p.endpointId, err: err.message }, 'last check not read');
    return undefined;
  });
}

/** Per-endpoint media plumbing: transports, producers, consumers, the page's own figures. */
export function mediaHandlers(s: MeetingSession): HandlerGroup<MediaRequest> {
  return {
    join: async (p) => ({
      endpointId: p.endpointId,
      role: p.role,
      ...(p.siteId !== undefined ? { siteId: p.siteId } : {}),
      routerRtpCapabilities: plain(s.room.rtpCapabilities),
      iceServers: s.iceServers(p.endpointId),
      ...s.viewFor(p),
    }),

    setRtpCapabilities: async (p, payload) => {
      const media = await s.mediaOf(p);
      media.rtpCapabilities = asCaps(payload.rtpCapabilities);
      s.consumers.one(p);
      return {};
    },

    createTransport: async (p, payload) => {
      if (payload.direction === 'send' && p.role === 'it' && s.chair.current === 'live') {
        throw forbidden({
          vi: 'Tổ kỹ thuật không phát trong phiên họp',
          en: 'IT staff do not send during the session',
        });
      }
      const media = await s.mediaOf(p);
      // Towards the page, the SFU's estimate starts near what its site's last check measured.
      let start = {};
      if (payload.direction === 'recv') {
        const down = await lastDownlink(s, p);
        p.receiveCeilingBps = receiveCeilingBps(down);
        start = { initialOutgoingBitrate: receiveStartBps(down) };
      }
      const transport = await media.createTransport(payload.direction, start);
      transport.on('icestatechange', (state) => {
        if (state === 'disconnected') s.log.warn({ endpointId: p.endpointId }, 'ICE disconnected');
      });
      if (payload.direction === 'recv') s.consumers.one(p);
      return {
        transportId: transport.id,
        iceParameters: plain(transport.iceParameters),
        iceCandidates: transport.iceCandidates.map(plain),
        dtlsParameters: {
          ...transport.dtlsParameters,
          fingerprints: transport.dtlsParameters.fingerprints.map((f) => ({ ...f })),
        },
      };
    },

    connectTransport: async (p, payload) => {
      await transportOf(p, payload.transportId).connect({
        dtlsParameters: asDtls(payload.dtlsParameters),
      });
      return {};
    },

    restartIce: async (p, payload) => ({
      iceParameters: plain(await transportOf(p, payload.transportId).restartIce()),
    }),

    produce: async (p, payload) => {
      if (p.role === 'chair' || (p.role === 'it' && s.chair.current === 'live')) {
        throw forbidden({
          vi: 'Trang này không phát hình, tiếng',
          en: 'This page does not send media',
        });
      }
      if (payload.source === 'screen' && p.role !== 'station') {
        throw forbidden({
          vi: 'Chỉ điểm cầu chính được chia sẻ màn hình',
          en: 'Only the main point shares its screen',
        });
      }
      const expectedKind = payload.source === 'microphone' ? 'audio' : 'video';
      if (payload.kind !== expectedKind)
        throw badField('kind', {
          vi: `Nguồn ${payload.source} phải là ${expectedKind}`,
          en: `Source ${payload.source} must be ${expectedKind}`,
        });
      transportOf(p, payload.transportId);
      const media = await s.mediaOf(p);
      const mutedByChair = payload.source === 'microphone' && s.chair.isMuted(p.siteId);
      const producer = await media.produce(
        payload.transportId,
        payload.kind,
        asRtp(payload.rtpParameters),
        payload.source,
        payload.paused === true || mutedByChair,
      );
      if (payload.source === 'microphone') {
        p.selfMuted = payload.paused === true;
        void s.room.observeAudio(producer);
      }
      producer.observer.once('close', () => {
        if (!s.isClosed) s.participantChanged(p);
      });
      s.consumers.all();
      s.participantChanged(p);
      return { producerId: producer.id };
    },

    closeProducer: async (p, payload) => {
      producerOf(p, payload.producerId).close();
      return {};
    },

    pauseProducer: async (p, payload) => {
      const producer = producerOf(p, payload.producerId);
      await producer.pause();
      if (producer.appData.source === 'microphone') p.selfMuted = true;
      s.participantChanged(p);
      return {};
    },

    resumeProducer: async (p, payload) => {
      const producer = producerOf(p, payload.producerId);
      if (producer.appData.source === 'microphone') {
        p.selfMuted = false;
        if (s.chair.isMuted(p.siteId)) {
          s.participantChanged(p);
          throw forbidden({
            vi: 'Chủ trì đang tắt micro của điểm cầu này',
            en: 'The chair has muted this site',
          });
        }
      }
      await producer.resume();
      s.participantChanged(p);
      return {};
    },

    resumeConsumer: async (p, payload) => {
      const consumer = consumerOf(p, payload.consumerId);
      await consumer.resume();
      if (consumer.kind === 'video') await consumer.requestKeyFrame().catch(() => {});
      return {};
    },

    setConsumerLayers: async (p, payload) => {
      const consumer = consumerOf(p, payload.consumerId);
      if (consumer.type !== 'simulcast') return {};
      const layers = {
        spatialLayer: payload.spatialLayer,
        ...(payload.temporalLayer !== undefined ? { temporalLayer: payload.temporalLayer } : {}),
      };
      // Through the guard, which keeps a lower cap while the receiver's line cannot carry more.
      const guard = LayerGuard.of(consumer);
      if (guard) await guard.want(layers);
      else await consumer.setPreferredLayers(layers);
      // A layer switch waits for a keyframe; ask for one rather than wait for the next.
      await consumer.requestKeyFrame().catch(() => {});
      return {};
    },

    requestKeyFrame: async (p, payload) => {
      await consumerOf(p, payload.consumerId).requestKeyFrame();
      return {};
    },

    reportStats: async (p, payload) => {
      p.reported = { ...payload, at: Date.now() };
      return {};
    },
  };
}
