import { io, type Socket } from 'socket.io-client';
import { RequestError } from '../../client/request.js';
import {
  type NotificationName,
  type NotificationPayload,
  notifications,
} from '../../protocol/socket.js';
import type { ConnectErrorData, ConnectionState, MeetingClientOptions } from './clientTypes.js';

/*
 * The client's line to the server: the socket, which node it talks to (a refused handshake
 * names the node that owns the meeting; a dead node sends us back to the public address), what
 * a disconnect means, and requests and notifications checked against the shared schemas.
 */

export function openSocket(options: MeetingClientOptions): Socket {
  return io(options.url ?? '/', {
    auth: {
      ...(options.token ? { token: options.token } : {}),
      ...(options.meetingId ? { meetingId: options.meetingId } : {}),
    },
    transports: ['websocket'],
    reconnectionDelay: 500,
    reconnectionDelayMax: 2000,
    withCredentials: true,
  });
}

/** What the connection handling needs from the client. */
export interface ConnectionHooks {
  closed(): boolean;
  /** The session ended: a server-side disconnect is then final. */
  ended(): boolean;
  teardownMedia(): void;
  setState(state: ConnectionState): void;
  /** The server refused this client for good (unauthorized, forbidden, not found). */
  refused(err: RequestError): void;
  reconnectAttempt(): void;
}

/**
 * socket.io keeps the server address in its Manager and has no setter; the next (re)connect
 * opens whatever is there, so changing it moves the connection to another node.
 */
function managerUri(socket: Socket): string {
  return (socket.io as unknown as { uri: string }).uri;
}

function setManagerUri(socket: Socket, url: string): void {
  (socket.io as unknown as { uri: string }).uri = url;
}

/** Reconnects after a drop, follows the meeting to its node, gives up when refused. */
export function watchConnection(socket: Socket, hooks: ConnectionHooks): void {
  socket.io.on('reconnect_attempt', () => hooks.reconnectAttempt());
  socket.on('disconnect', (reason) => {
    if (hooks.closed()) return;
    hooks.teardownMedia();
    if (reason === 'io server disconnect' && hooks.ended()) {
      hooks.setState('closed');
      return;
    }
    hooks.setState('reconnecting');
    // socket.io does not retry after a server-side disconnect (a restart, a lost session):
    // the endpoint must come back by itself, so retry unless the meeting has ended.
    if (reason === 'io server disconnect')
      setTimeout(() => hooks.closed() || socket.connect(), 500);
  });
  /** The address the page was given (the public one); a dead node sends us back here. */
  const homeUrl = managerUri(socket);
  /** The meeting runs on another node: connect there (a refused handshake is not retried). */
  const moveTo = (url: string): void => {
    if (hooks.closed()) return;
    hooks.setState('reconnecting');
    setManagerUri(socket, url);
    // Closes the Manager's connection to the node that refused us, then opens one to the owner.
    socket.disconnect();
    setTimeout(() => hooks.closed() || socket.connect(), 100);
  };
  socket.on('connect_error', (err: Error & { data?: ConnectErrorData }) => {
    const data = err.data;
    const ownerUrl = data?.details?.ownerUrl;
    if (data?.code === 'conflict' && typeof ownerUrl === 'string') {
      moveTo(ownerUrl);
      return;
    }
    // A node that no longer answers (it died): go back through the public address at once,
    // which places the meeting on a live node and sends us there.
    if (!data && managerUri(socket) !== homeUrl) {
      moveTo(homeUrl);
      return;
    }
    if (data && ['unauthorized', 'forbidden', 'not_found'].includes(data.code))
      hooks.refused(new RequestError(data.code, data.message, data.details));
    else hooks.setState('reconnecting');
  });
}

/** Notifications are validated with the same schemas the server uses. */
export function onNotification<N extends NotificationName>(
  socket: Socket,
  name: N,
  fn: (payload: NotificationPayload<N>) => void,
): void {
  socket.on(name as string, (raw: unknown) => {
    const parsed = notifications[name].safeParse(raw);
    if (!parsed.success) {
      console.warn(`ignored malformed ${name}`, parsed.error.issues);
      return;
    }
    fn(parsed.data as NotificationPayload<N>);
  });
}

/** Like onNotification, quietly, and returns the unsubscribe function. */
export function subscribe<N extends NotificationName>(
  socket: Socket,
  name: N,
  fn: (payload: NotificationPayload<N>) => void,
): () => void {
  const handler = (raw: unknown) => {
    const parsed = notifications[name].safeParse(raw);
    if (parsed.success) fn(parsed.data as NotificationPayload<N>);
  };
  socket.on(name as string, handler);
  return () => void socket.off(name as string, handler);
}
