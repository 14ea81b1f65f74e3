import type { types } from 'mediasoup-client';
import type { MediaSource } from '../protocol/socket.js';
import type { Requester } from './request.js';

/*
 * A mediasoup send or receive transport wired to the signaling, shared by the pages and the
 * emulated sites: DTLS connect and produce go through requests; the page also times ICE+DTLS for
 * the connection check and repairs an ICE drop with an ICE restart.
 */

/** What opening a transport needs. */
export interface TransportWiring {
  device: types.Device;
  request: Requester;
  /** TURN servers the service handed out (the pages; the emulator goes direct). */
  iceServers?: RTCIceServer[];
  /** Where ICE+DTLS time is written, per direction (the connection check reads it). */
  timings?: { transports: Partial<Record<'send' | 'recv', TransportTiming>> };
  /** Hears every connection state. */
  onState?: (state: types.ConnectionState) => void;
  /** Given, an ICE drop is repaired by an ICE restart, or the media rebuilt when that fails. */
  iceRestart?: {
    /** The socket is up, so an ICE restart can be asked for. */
    connected: () => boolean;
    /** An ICE restart failed: rebuild the media from the start. */
    rebuild: () => void;
  };
}

export interface TransportTiming {
  createdAt: number;
  iceDtlsMs?: number;
}

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
    ...(w.iceServers ? { iceServers: w.iceServers } : {}),
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
  const timing: TransportTiming = { createdAt: performance.now() };
  if (w.timings) w.timings.transports[direction] = timing;
  transport.on('connectionstatechange', (state) => {
    w.onState?.(state);
    if (state === 'connected' && timing.iceDtlsMs === undefined)
      timing.iceDtlsMs = Math.round(performance.now() - timing.createdAt);
    if (w.iceRestart && (state === 'disconnected' || state === 'failed'))
      scheduleIceRestart(transport, w.request, w.iceRestart);
  });
  return transport;
}

/** The network blinked: ask for new ICE credentials while the transport itself survives. */
function scheduleIceRestart(
  transport: types.Transport,
  request: Requester,
  hooks: NonNullable<TransportWiring['iceRestart']>,
): void {
  setTimeout(async () => {
    if (transport.closed || !hooks.connected()) return;
    if (!['disconnected', 'failed'].includes(transport.connectionState)) return;
    try {
      const { iceParameters } = await request('restartIce', { transportId: transport.id });
      await transport.restartIce({
        iceParameters: iceParameters as unknown as types.IceParameters,
      });
    } catch {
      hooks.rebuild();
    }
  }, 1000);
}
