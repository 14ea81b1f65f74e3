import { io, type Socket } from 'socket.io-client';
import { RequestError, request } from '../client/request.js';
import type { RequestAnswer } from '../protocol/socket.js';
import type { EmulatedEndpointOptions } from './endpointTypes.js';

/*
 * The emulated endpoint's signaling: the socket (counting what crosses the wire), a request with
 * its acknowledgement, and the join sent again when it goes unanswered.
 */

export interface SignalingFigures {
  messagesIn: number;
  bytesIn: number;
  messagesOut: number;
  bytesOut: number;
}

/** The endpoint's socket; the wire sizes of socket.io messages (engine.io frames) both ways go into `figures`. */
export function openSocket(options: EmulatedEndpointOptions, figures: SignalingFigures): Socket {
  const socket = io(options.url, {
    auth: { token: options.token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...(options.forwardedFor ? { extraHeaders: { 'x-forwarded-for': options.forwardedFor } } : {}),
  });
  socket.io.on('open', () => {
    const engine = socket.io.engine;
    engine.on('packet', (p: { type: string; data?: unknown }) => {
      if (p.type !== 'message') return;
      figures.messagesIn++;
      figures.bytesIn += typeof p.data === 'string' ? p.data.length : 0;
    });
    engine.on('packetCreate', (p: { type: string; data?: unknown }) => {
      if (p.type !== 'message') return;
      figures.messagesOut++;
      figures.bytesOut += typeof p.data === 'string' ? p.data.length : 0;
    });
  });
  return socket;
}

/**
 * A join can go unanswered (servers before the signaling refactor registered their handlers
 * only once the meeting's session was open); sent again, as the page's client does.
 */
export async function joinWithRetry(
  socket: Socket,
  onRetry: () => void,
): Promise<RequestAnswer<'join'>> {
  for (let timeoutMs = 2000; ; timeoutMs *= 2) {
    try {
      return await request(socket, 'join', {}, timeoutMs);
    } catch (err) {
      if (timeoutMs >= 16_000 || !(err instanceof RequestError && err.code === 'timeout'))
        throw err;
      onRetry();
    }
  }
}
