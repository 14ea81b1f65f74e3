import type { types } from 'mediasoup-client';
import type { Socket } from 'socket.io-client';
import type { MediaSource } from '../protocol/socket.js';
import { request } from './endpointSignaling.js';

/**
 * A send or receive transport of the emulated endpoint, wired to the server: DTLS connect and
 * produce go through the socket's requests; `onState` hears the connection state.
 */
export async function createTransport(
  device: types.Device,
  socket: Socket,
  direction: 'send' | 'recv',
  onState: (state: types.ConnectionState) => void,
): Promise<types.Transport> {
  const info = await request(socket, 'createTransport', { direction });
  const params = {
    id: info.transportId,
    iceParameters: info.iceParameters as unknown as types.IceParameters,
    iceCandidates: info.iceCandidates as unknown as types.IceCandidate[],
    dtlsParameters: info.dtlsParameters as unknown as types.DtlsParameters,
  };
  const transport =
    direction === 'send' ? device.createSendTransport(params) : device.createRecvTransport(params);
  transport.on('connect', ({ dtlsParameters }, done, fail) => {
    request(socket, 'connectTransport', {
      transportId: transport.id,
      dtlsParameters: dtlsParameters as never,
    })
      .then(() => done())
      .catch(fail);
  });
  transport.on('connectionstatechange', onState);
  if (direction === 'send') {
    transport.on('produce', ({ kind, rtpParameters, appData }, done, fail) => {
      request(socket, 'produce', {
        transportId: transport.id,
        kind,
        rtpParameters: rtpParameters as never,
        source: appData.source as MediaSource,
      })
        .then(({ producerId }) => done({ id: producerId }))
        .catch(fail);
    });
  }
  return transport;
}
