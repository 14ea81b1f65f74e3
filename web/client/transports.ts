import type { Device, types } from 'mediasoup-client';
import type {
  MediaSource,
  RequestAnswer,
  RequestName,
  RequestPayload,
} from '../../protocol/socket.js';
import type { ClientTimings } from './clientTypes.js';

/** What opening a transport needs from the client. */
export interface TransportWiring {
  device: Device;
  iceServers: RTCIceServer[];
  timings: ClientTimings;
  request: <N extends RequestName>(
    name: N,
    payload: RequestPayload<N>,
    timeoutMs?: number,
  ) => Promise<RequestAnswer<N>>;
  /** The socket is up, so an ICE restart can be asked for. */
  connected: () => boolean;
  /** An ICE restart failed: rebuild the media from the start. */
  rebuild: () => void;
}

/**
 * A mediasoup send or receive transport wired to the signaling: DTLS connect and produce go
 * through requests, ICE+DTLS time is recorded for the connection check, and an ICE drop is
 * repaired with an ICE restart.
 */
export async function openTransport(
  direction: 'send' | 'recv',
  w: TransportWiring,
): Promise<types.Transport> {
  const info = await w.request('createTransport', { direction });
  const params = {
    id: info.transportId,
    iceParameters: info.iceParameters as unknown as types.IceParameters,
    iceCandidates: info.iceCandidates as unknown as types.IceCandidate[],
    dtlsParameters: info.dtlsParameters as unknown as types.DtlsParameters,
    iceServers: w.iceServers,
  };
  const transport =
    direction === 'send'
      ? w.device.createSendTransport(params)
      : w.device.createRecvTransport(params);
  transport.on('connect', ({ dtlsParameters }, done, fail) => {
    w.request('connectTransport', {
      transportId: transport.id,
      dtlsParameters: dtlsParameters as never,
    })
      .then(() => done())
      .catch(fail);
  });
  if (direction === 'send') {
    transport.on('produce', ({ kind, rtpParameters, appData }, done, fail) => {
      w.request('produce', {
        transportId: transport.id,
        kind,
        rtpParameters: rtpParameters as never,
        source: appData.source as MediaSource,
        paused: appData.paused === true,
      })
        .then(({ producerId }) => done({ id: producerId }))
        .catch(fail);
    });
  }
  const timing: { createdAt: number; iceDtlsMs?: number } = { createdAt: performance.now() };
  w.timings.transports[direction] = timing;
  transport.on('connectionstatechange', (state) => {
    if (state === 'connected' && timing.iceDtlsMs === undefined)
      timing.iceDtlsMs = Math.round(performance.now() - timing.createdAt);
    if (state === 'disconnected' || state === 'failed') scheduleIceRestart(transport, w);
  });
  return transport;
}

/** The network blinked: ask for new ICE credentials while the transport itself survives. */
function scheduleIceRestart(transport: types.Transport, w: TransportWiring): void {
  setTimeout(async () => {
    if (transport.closed || !w.connected()) return;
    if (!['disconnected', 'failed'].includes(transport.connectionState)) return;
    try {
      const { iceParameters } = await w.request('restartIce', { transportId: transport.id });
      await transport.restartIce({
        iceParameters: iceParameters as unknown as types.IceParameters,
      });
    } catch {
      w.rebuild();
    }
  }, 1000);
}
