import { EventEmitter } from 'node:events';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { MediaLogger } from '../media/MediaLogger.js';
import { endpointId } from '../protocol/endpoints.js';
import { AppError, toErrorBody } from '../protocol/errors.js';
import type {
  EndpointRole,
  NotificationName,
  NotificationPayload,
  RequestName,
} from '../protocol/socket.js';
import type { Text } from '../protocol/text.js';
import { HandshakeLimiter, type HandshakeLimits } from './requestLimits.js';
import { answerForwarded } from './session/edgeRequests.js';
import type { RequestHandlers } from './session/handlerTypes.js';
import type { MeetingSession } from './session/MeetingSession.js';
import { siteRoom } from './session/SessionNotifier.js';

/** Who a connection is, as established by the server's access layer. */
export interface SignalingPrincipal {
  role: EndpointRole;
  meetingId: string;
  siteId?: string;
  /** Shown to others: the site's name, "Điểm cầu chính", the chair's or IT user's name. */
  name: string;
  userId?: string;
  /** What authenticated it, so revoking that ends the connection too. */
  credential?: { kind: 'link'; linkId: string } | { kind: 'login'; sessionHash: string };
  /** When the credential stops being valid (ISO); the connection is closed then. */
  expiresAt?: string;
}

export interface HandshakeCredentials {
  token?: string;
  cookie?: string;
  meetingId?: string;
  /** The handshake's Origin and Sec-Fetch-Site: a cookie-borne handshake must be same-origin. */
  origin?: string;
  secFetchSite?: string;
  host?: string;
  /** 'https' when the handshake came over TLS, else 'http'. */
  scheme?: string;
}

export interface SessionDirectoryOptions {
  httpServer: HttpServer;
  logger: MediaLogger;
  /** Throws AppError (401/403/404) when the credentials do not grant access. */
  authenticate(credentials: HandshakeCredentials): Promise<SignalingPrincipal>;
  /** The client address of a handshake (trusted proxies applied); default the socket's peer. */
  clientAddress?(request: IncomingMessage): string;
  handshakeLimits?: Partial<HandshakeLimits>;
}

/** The endpoint a principal is in the session (one naming rule: protocol/endpoints.ts). */
export function endpointIdOf(p: Pick<SignalingPrincipal, 'role' | 'siteId' | 'userId'>): string {
  return endpointId(p);
}

export interface OpenSession {
  session: MeetingSession;
  handlers: RequestHandlers;
}

function originOf(headers: Socket['handshake']['headers'], encrypted: boolean) {
  const site = headers['sec-fetch-site'];
  return {
    scheme: encrypted ? 'https' : 'http',
    ...(headers.origin ? { origin: headers.origin } : {}),
    ...(typeof site === 'string' ? { secFetchSite: site } : {}),
    ...(headers.host ? { host: headers.host } : {}),
  };
}

export function connectError(err: unknown): Error {
  const { body } = toErrorBody(err);
  const error = new Error(body.message.en) as Error & { data?: unknown };
  error.data = body;
  return error;
}

/**
 * This node's live sessions and the socket.io server that reaches their pages: who a connection
 * is (authentication, handshake limits), which sessions are open (lookup and `sessionOpened`),
 * and messages from outside a session (notify, disconnect on revocation). Built first, so the
 * cluster, the checks and the live layer are given it at construction; the SignalingServer
 * opens the sessions and serves the connections into it.
 */
export class SessionDirectory {
  readonly io: Server;
  /** sessionOpened: a meeting's live session exists; subscribe to its SessionEvents. */
  readonly events = new EventEmitter<{ sessionOpened: [MeetingSession] }>();
  private readonly entries = new Map<string, OpenSession>();
  private readonly log: MediaLogger;
  private closed = false;

  constructor(options: SessionDirectoryOptions) {
    this.log = options.logger.child({ component: 'signaling' });
    const handshakes = new HandshakeLimiter(options.handshakeLimits);
    const addressOf = (request: IncomingMessage) =>
      options.clientAddress?.(request) ?? request.socket.remoteAddress ?? '';
    this.io = new Server(options.httpServer, {
      // Short ping so a vanished site shows offline within 5 seconds.
      pingInterval: 2000,
      pingTimeout: 2500,
      maxHttpBufferSize: 256 * 1024,
      serveClient: false,
      // A connection that never joins a namespace is dropped soon (raw engine.io sockets).
      connectTimeout: 10_000,
      // Every new engine.io connection spends the address's handshake budget, whether or not
      // it goes on to a socket.io handshake: raw connections are counted too.
      allowRequest: (request, done) => {
        try {
          handshakes.spend(addressOf(request));
          done(null, true);
        } catch (err) {
          done((err as Error).message, false);
        }
      },
    });
    this.io.use((socket, next) => {
      if (this.closed)
        return next(
          connectError(
            new AppError('unavailable', { vi: 'Máy chủ đang dừng', en: 'Server is shutting down' }),
          ),
        );
      const address = addressOf(socket.request);
      try {
        // The budget was spent when the connection opened; a token guesser still waits here.
        handshakes.assertNotLockedOut(address);
      } catch (err) {
        return next(connectError(err));
      }
      const auth = (socket.handshake.auth ?? {}) as Record<string, unknown>;
      const header = socket.handshake.headers.authorization;
      const token =
        typeof auth.token === 'string'
          ? auth.token
          : header?.startsWith('Bearer ')
            ? header.slice(7)
            : undefined;
      const meetingId = typeof auth.meetingId === 'string' ? auth.meetingId : undefined;
      const credentials: HandshakeCredentials = {
        ...(token ? { token } : {}),
        ...(socket.handshake.headers.cookie ? { cookie: socket.handshake.headers.cookie } : {}),
        ...(meetingId ? { meetingId } : {}),
        ...originOf(
          socket.handshake.headers,
          (socket.request.socket as { encrypted?: boolean }).encrypted === true,
        ),
      };
      options
        .authenticate(credentials)
        .then((principal) => {
          socket.data.principal = principal;
          next();
        })
        .catch((err) => {
          const code = err instanceof AppError ? err.code : undefined;
          if (code === 'unauthorized' || code === 'forbidden') handshakes.failed(address);
          this.log.warn({ err: (err as Error).message }, 'socket authentication refused');
          next(connectError(err));
        });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  session(meetingId: string): MeetingSession | undefined {
    return this.entries.get(meetingId)?.session;
  }

  /** The meeting's session and its request handlers (the SignalingServer's use). */
  entry(meetingId: string): OpenSession | undefined {
    return this.entries.get(meetingId);
  }

  /** A session was opened: it is found from now on, and every listener hears of it. */
  opened(entry: OpenSession): void {
    this.entries.set(entry.session.meetingId, entry);
    this.events.emit('sessionOpened', entry.session);
  }

  /** A session closed: it is no longer found (a newer one of the same meeting stays). */
  forget(session: MeetingSession): void {
    if (this.entries.get(session.meetingId)?.session === session)
      this.entries.delete(session.meetingId);
  }

  /**
   * A request of a site on an edge node, sent to this node (the owner) to decide: answered by
   * the session's own handler for that site, as if its page had sent it here.
   */
  async forwarded(meetingId: string, endpointId: string, name: RequestName, payload: unknown) {
    const entry = this.entries.get(meetingId);
    return answerForwarded(entry?.session, entry?.handlers, endpointId, name, payload);
  }

  /** The sessions open now (each closes by itself when idle or ended). */
  *openSessions(): Iterable<MeetingSession> {
    for (const { session } of this.entries.values()) if (!session.isClosed) yield session;
  }

  get sessionCount(): number {
    return this.entries.size;
  }

  /**
   * Ends every connection whose principal matches (a revoked link, an ended login, a removed
   * site), telling its page why. The page does not retry; a new handshake is refused.
   */
  disconnectWhere(match: (p: SignalingPrincipal) => boolean, reason: Text): number {
    let count = 0;
    for (const socket of this.io.sockets.sockets.values()) {
      const principal = socket.data.principal as SignalingPrincipal | undefined;
      if (!principal || !match(principal)) continue;
      count++;
      const session = this.session(principal.meetingId);
      const endpointId = endpointIdOf(principal);
      if (session?.participant(endpointId)?.socket?.id === socket.id)
        session.disconnect(endpointId, reason);
      else {
        socket.emit('accessRevoked', { reason });
        socket.disconnect(true);
      }
    }
    if (count) this.log.info({ count }, 'connections closed: access revoked');
    return count;
  }

  /**
   * A notification from outside the live session (readiness, reminders, check windows) to the
   * given roles of a meeting, or to one site's page.
   */
  notify<N extends NotificationName>(
    meetingId: string,
    name: N,
    payload: NotificationPayload<N>,
    to: { roles?: EndpointRole[]; siteId?: string },
  ): void {
    // Rooms, so the notification reaches the page through the Redis adapter on any node.
    if (to.siteId !== undefined) this.io.to(siteRoom(meetingId, to.siteId)).emit(name, payload);
    if (to.roles?.length) {
      this.io.to(to.roles.map((r) => `meeting:${meetingId}:${r}`)).emit(name, payload);
    }
  }

  /**
   * Shutdown: refuse new sockets, close sessions (and their rooms). Endpoints learn it from the
   * disconnect itself and keep trying, so they come back when the next process starts.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const { session } of [...this.entries.values()]) session.close('server shutdown');
    this.entries.clear();
    // io.close() would also close the HTTP server, which the HTTP layer owns.
    this.io.disconnectSockets(true);
    this.io.engine.close();
  }
}
