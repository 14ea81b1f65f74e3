import { EventEmitter } from 'node:events';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { MediaLogger } from '../media/MediaLogger.js';
import { Room } from '../media/Room.js';
import type { WorkerPool } from '../media/WorkerPool.js';
import type { CheckThresholds } from '../protocol/check.js';
import { endpointId } from '../protocol/endpoints.js';
import { AppError, toErrorBody } from '../protocol/errors.js';
import type {
  EndpointRole,
  NotificationName,
  NotificationPayload,
  RequestName,
} from '../protocol/socket.js';
import type { Text } from '../protocol/text.js';
import type { CheckHooks } from './ConnectionCheck.js';
import type { QualityThresholds } from './quality.js';
import { HandshakeLimiter, type HandshakeLimits } from './requestLimits.js';
import { type PlacedConnection, serveRequests } from './serveRequests.js';
import { answerForwarded, forwardToOwner } from './session/edgeRequests.js';
import type { RequestHandlers } from './session/handlerTypes.js';
import {
  MeetingSession,
  type SessionHooks,
  type SessionMeetingInfo,
} from './session/MeetingSession.js';
import { requestHandlers } from './session/requestHandlers.js';
import { siteRoom } from './session/SessionBroadcaster.js';
import type { SessionPeers } from './session/SessionPeers.js';

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

export interface SignalingServerOptions {
  httpServer: HttpServer;
  pool: WorkerPool;
  logger: MediaLogger;
  /** Throws AppError (401/403/404) when the credentials do not grant access. */
  authenticate(credentials: HandshakeCredentials): Promise<SignalingPrincipal>;
  meetingInfo(meetingId: string): Promise<SessionMeetingInfo>;
  hooks(meetingId: string): SessionHooks;
  /** ICE servers for one endpoint (TURN credentials are per endpoint). */
  iceServers(
    meetingId: string,
    endpointId: string,
  ): { urls: string | string[]; username?: string; credential?: string }[];
  qualityThresholds: QualityThresholds;
  maxConsumersPerRouter: number;
  maxConsumersPerEndpoint?: number;
  /** Video producers pass keyframe requests to their sender at most once per this (ms). */
  keyFrameRequestDelayMs?: number;
  statsIntervalMs?: number;
  /** A session nobody is connected to closes after this long (ms). Default 2 min. */
  idleCloseMs?: number;
  /** The connection check of one meeting: persistence hooks (absent: checks are refused). */
  checkHooks?(meetingId: string): CheckHooks;
  checkThresholds?: CheckThresholds;
  /** How long a full check measures (ms); tests shorten it. */
  checkMeasureMs?: number;
  /** The client address of a handshake (trusted proxies applied); default the socket's peer. */
  clientAddress?(request: IncomingMessage): string;
  handshakeLimits?: Partial<HandshakeLimits>;
  /**
   * Several nodes: the other nodes of a meeting's session, for a session this node owns or
   * (ownerNodeId set) one it runs as an edge of the owner's.
   */
  peers?(meetingId: string, ownerNodeId?: string): SessionPeers | undefined;
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

/** The endpoint a principal is in the session (one naming rule: protocol/endpoints.ts). */
export function endpointIdOf(p: Pick<SignalingPrincipal, 'role' | 'siteId' | 'userId'>): string {
  return endpointId(p);
}

interface OpenSession {
  session: MeetingSession;
  handlers: RequestHandlers;
}

/**
 * socket.io signaling: authenticates each connection with its join token (or an IT session),
 * places it in its meeting's session, validates every request with the shared zod schemas and
 * answers each with an acknowledgement. A bad message gets an error answer, never a crash.
 * Requests that arrive while the session opens wait for it; none is dropped.
 */
export class SignalingServer {
  readonly io: Server;
  /** sessionOpened: a meeting's live session exists; subscribe to its SessionEvents. */
  readonly events = new EventEmitter<{ sessionOpened: [MeetingSession] }>();
  private readonly sessions = new Map<string, OpenSession>();
  private readonly opening = new Map<string, Promise<OpenSession>>();
  private readonly log: MediaLogger;
  private closed = false;

  constructor(private readonly options: SignalingServerOptions) {
    this.log = options.logger.child({ component: 'signaling' });
    // Short ping so a vanished site shows offline within 5 seconds.
    const handshakes = new HandshakeLimiter(options.handshakeLimits);
    const addressOf = (request: IncomingMessage) =>
      options.clientAddress?.(request) ?? request.socket.remoteAddress ?? '';
    this.io = new Server(options.httpServer, {
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
          this.connectError(
            new AppError('unavailable', { vi: 'Máy chủ đang dừng', en: 'Server is shutting down' }),
          ),
        );
      const address = addressOf(socket.request);
      try {
        // The budget was spent when the connection opened; a token guesser still waits here.
        handshakes.assertNotLockedOut(address);
      } catch (err) {
        return next(this.connectError(err));
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
          next(this.connectError(err));
        });
    });
    this.io.on('connection', (socket) => this.onConnection(socket));
  }

  private connectError(err: unknown): Error {
    const { body } = toErrorBody(err);
    const error = new Error(body.message.en) as Error & { data?: unknown };
    error.data = body;
    return error;
  }

  session(meetingId: string): MeetingSession | undefined {
    return this.sessions.get(meetingId)?.session;
  }

  /** The meeting's session on this node, opened if needed (an encoder publishing first). */
  async sessionFor(meetingId: string): Promise<MeetingSession> {
    return (await this.openSession(meetingId)).session;
  }

  /** The sessions open now (each closes by itself when idle or ended). */
  *openSessions(): Iterable<MeetingSession> {
    for (const { session } of this.sessions.values()) if (!session.isClosed) yield session;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /**
   * Get-or-create, serialized so concurrent joins never open the same meeting twice. `edgeOf`:
   * this node serves the meeting's sites as an edge of that owner node (a cascade); a session of
   * the other kind (the owner changed) is closed first.
   */
  private async openSession(meetingId: string, edgeOf?: string): Promise<OpenSession> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = this.sessions.get(meetingId);
      if (existing && !existing.session.isClosed) {
        if (existing.session.edgeOf === edgeOf) return existing;
        existing.session.close('the meeting moved to another server');
      }
      let opening = this.opening.get(meetingId);
      if (!opening) {
        opening = this.createSession(meetingId, edgeOf).finally(() =>
          this.opening.delete(meetingId),
        );
        this.opening.set(meetingId, opening);
      }
      const opened = await opening;
      if (opened.session.edgeOf === edgeOf && !opened.session.isClosed) return opened;
    }
    throw new AppError('unavailable', {
      vi: 'Chưa mở được phiên họp, hãy thử lại',
      en: 'The session could not be opened; try again',
    });
  }

  private async createSession(meetingId: string, edgeOf?: string): Promise<OpenSession> {
    const o = this.options;
    const peers = o.peers?.(meetingId, edgeOf);
    const info = await o.meetingInfo(meetingId);
    const room = await Room.create({
      id: meetingId,
      pool: o.pool,
      logger: o.logger,
      maxConsumersPerRouter: o.maxConsumersPerRouter,
      ...(o.keyFrameRequestDelayMs !== undefined
        ? { keyFrameRequestDelayMs: o.keyFrameRequestDelayMs }
        : {}),
      ...(o.maxConsumersPerEndpoint ? { maxConsumersPerEndpoint: o.maxConsumersPerEndpoint } : {}),
    });
    const session: MeetingSession = new MeetingSession({
      meetingId,
      room,
      io: this.io,
      info,
      hooks: o.hooks(meetingId),
      iceServers: (endpointId) => o.iceServers(meetingId, endpointId),
      logger: o.logger,
      qualityThresholds: o.qualityThresholds,
      ...(o.statsIntervalMs ? { statsIntervalMs: o.statsIntervalMs } : {}),
      ...(o.idleCloseMs !== undefined ? { idleCloseMs: o.idleCloseMs } : {}),
      ...(o.checkHooks
        ? {
            check: {
              hooks: o.checkHooks(meetingId),
              thresholds: o.checkThresholds ?? {
                ...o.qualityThresholds,
                minUplinkKbps: 1200,
                minDownlinkKbps: 1500,
              },
              ...(o.checkMeasureMs ? { measureMs: o.checkMeasureMs } : {}),
            },
          }
        : {}),
      ...(peers ? { peers } : {}),
      onClosed: () => {
        if (this.sessions.get(meetingId)?.session === session) this.sessions.delete(meetingId);
      },
    });
    const handlers = requestHandlers(session);
    if (peers && edgeOf) forwardToOwner(handlers, peers);
    const entry = { session, handlers };
    this.sessions.set(meetingId, entry);
    this.events.emit('sessionOpened', session);
    return entry;
  }

  /**
   * A request of a site on an edge node, sent to this node (the owner) to decide: answered by
   * the session's own handler for that site, as if its page had sent it here.
   */
  async forwarded(meetingId: string, endpointId: string, name: RequestName, payload: unknown) {
    const entry = this.sessions.get(meetingId);
    return answerForwarded(entry?.session, entry?.handlers, endpointId, name, payload);
  }

  private onConnection(socket: Socket): void {
    const principal = socket.data.principal as SignalingPrincipal;
    const endpointId = endpointIdOf(principal);
    const log = this.log.child({ meetingId: principal.meetingId, endpointId });
    const edgeOf = typeof socket.data.edgeOf === 'string' ? socket.data.edgeOf : undefined;
    // The request handler is registered before anything is awaited; early requests wait here.
    const placed: Promise<PlacedConnection | undefined> = this.openSession(
      principal.meetingId,
      edgeOf,
    ).then((entry) => {
      if (!socket.connected) return undefined;
      const participant = entry.session.attach(
        {
          endpointId,
          role: principal.role,
          ...(principal.siteId ? { siteId: principal.siteId } : {}),
          name: principal.name,
        },
        socket,
      );
      log.info({ role: principal.role }, 'endpoint connected');
      socket.on('disconnect', (reason) => {
        if (socket.data.replaced) log.info('connection replaced by another tab');
        else log.info({ reason }, 'endpoint disconnected');
        entry.session.detach(participant, socket, reason);
      });
      return { ...entry, participant };
    });
    placed.catch((err: unknown) => {
      log.warn({ err }, 'could not place connection in its meeting');
      socket.emit('sessionEnded', { reason: toErrorBody(err).body.message });
      socket.disconnect(true);
    });
    this.expireAt(socket, principal);

    serveRequests(socket, principal.role, placed, log);
  }

  /** A login or link that expires while connected ends the connection at that moment. */
  private expireAt(socket: Socket, principal: SignalingPrincipal): void {
    if (!principal.expiresAt) return;
    const ms = Date.parse(principal.expiresAt) - Date.now();
    // setTimeout cannot wait longer than ~24.8 days; links and logins end well before.
    if (!(ms < 2 ** 31 - 1)) return;
    const timer = setTimeout(
      () =>
        this.disconnectWhere((p) => p === principal, {
          vi: 'Phiên đăng nhập hoặc liên kết đã hết hạn',
          en: 'Your login or link has expired',
        }),
      Math.max(0, ms),
    );
    timer.unref();
    socket.once('disconnect', () => clearTimeout(timer));
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
    for (const { session } of [...this.sessions.values()]) session.close('server shutdown');
    this.sessions.clear();
    // io.close() would also close the HTTP server, which the HTTP layer owns.
    this.io.disconnectSockets(true);
    this.io.engine.close();
  }
}
