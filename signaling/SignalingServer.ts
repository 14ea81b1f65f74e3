import type { Server, Socket } from 'socket.io';
import type { MediaLogger } from '../media/MediaLogger.js';
import { Room } from '../media/Room.js';
import type { WorkerPool } from '../media/WorkerPool.js';
import type { CheckThresholds } from '../protocol/check/index.js';
import { AppError, toErrorBody } from '../protocol/errors.js';
import type { EndpointRole, NotificationName, NotificationPayload } from '../protocol/socket.js';
import type { Text } from '../protocol/text.js';
import type { CheckHooks } from './ConnectionCheck.js';
import type { QualityThresholds } from './quality.js';
import {
  endpointIdOf,
  type OpenSession,
  type SessionDirectory,
  type SignalingPrincipal,
} from './SessionDirectory.js';
import { type PlacedConnection, serveRequests } from './serveRequests.js';
import { forwardToOwner } from './session/edgeRequests.js';
import type { MeetingNodes } from './session/MeetingNodes.js';
import {
  MeetingSession,
  type SessionHooks,
  type SessionMeetingInfo,
} from './session/MeetingSession.js';
import { requestHandlers } from './session/requestHandlers.js';
import { edgeOwnerOf } from './socketPlacement.js';

export type { HandshakeCredentials, SignalingPrincipal } from './SessionDirectory.js';
export { endpointIdOf } from './SessionDirectory.js';

export interface SignalingServerOptions {
  /** The socket.io server and the registry of this node's sessions, made first. */
  directory: SessionDirectory;
  pool: WorkerPool;
  logger: MediaLogger;
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
  /**
   * The connection check of one meeting: its persistence per meeting, the thresholds its verdict
   * judges by (the configured ones; one source: config's CHECK_* settings), how long a full check
   * measures (tests shorten it). Absent: checks are refused.
   */
  check?: {
    hooks(meetingId: string): CheckHooks;
    thresholds: CheckThresholds;
    measureMs?: number;
  };
  /**
   * Several nodes: the other nodes of a meeting's session, for a session this node owns or
   * (ownerNodeId set) one it runs as an edge of the owner's.
   */
  peers?(meetingId: string, ownerNodeId?: string): MeetingNodes | undefined;
}

/**
 * socket.io signaling: authenticates each connection with its join token (or an IT session),
 * places it in its meeting's session, validates every request with the shared zod schemas and
 * answers each with an acknowledgement. A bad message gets an error answer, never a crash.
 * Requests that arrive while the session opens wait for it; none is dropped.
 */
export class SignalingServer {
  readonly directory: SessionDirectory;
  private readonly opening = new Map<string, Promise<OpenSession>>();
  private readonly log: MediaLogger;

  constructor(private readonly options: SignalingServerOptions) {
    this.log = options.logger.child({ component: 'signaling' });
    this.directory = options.directory;
    this.directory.io.on('connection', (socket) => this.onConnection(socket));
  }

  get io(): Server {
    return this.directory.io;
  }

  /** sessionOpened: a meeting's live session exists; subscribe to its SessionEvents. */
  get events(): SessionDirectory['events'] {
    return this.directory.events;
  }

  session(meetingId: string): MeetingSession | undefined {
    return this.directory.session(meetingId);
  }

  openSessions(): Iterable<MeetingSession> {
    return this.directory.openSessions();
  }

  get sessionCount(): number {
    return this.directory.sessionCount;
  }

  disconnectWhere(match: (p: SignalingPrincipal) => boolean, reason: Text): number {
    return this.directory.disconnectWhere(match, reason);
  }

  notify<N extends NotificationName>(
    meetingId: string,
    name: N,
    payload: NotificationPayload<N>,
    to: { roles?: EndpointRole[]; siteId?: string },
  ): void {
    this.directory.notify(meetingId, name, payload, to);
  }

  /**
   * The meeting's session on this node, opened if needed: for endpoints that join without a
   * socket (an encoder publishing first, a room system's SIP call).
   */
  async sessionFor(meetingId: string): Promise<MeetingSession> {
    if (this.directory.isClosed)
      throw new AppError('unavailable', { vi: 'Máy chủ đang dừng', en: 'Server is shutting down' });
    return (await this.openSession(meetingId)).session;
  }

  /**
   * Get-or-create, serialized so concurrent joins never open the same meeting twice.
   * `ownerNodeId`: this node serves the meeting's sites as an edge of that owner node (a
   * cascade); a session of another role (the owner changed) is closed first.
   */
  private async openSession(meetingId: string, ownerNodeId?: string): Promise<OpenSession> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = this.directory.entry(meetingId);
      if (existing && !existing.session.isClosed) {
        if (existing.session.role.servesFor(ownerNodeId)) return existing;
        existing.session.close('the meeting moved to another server');
      }
      let opening = this.opening.get(meetingId);
      if (!opening) {
        opening = this.createSession(meetingId, ownerNodeId).finally(() =>
          this.opening.delete(meetingId),
        );
        this.opening.set(meetingId, opening);
      }
      const opened = await opening;
      if (opened.session.role.servesFor(ownerNodeId) && !opened.session.isClosed) return opened;
    }
    throw new AppError('unavailable', {
      vi: 'Chưa mở được phiên họp, hãy thử lại',
      en: 'The session could not be opened; try again',
    });
  }

  private async createSession(meetingId: string, ownerNodeId?: string): Promise<OpenSession> {
    const o = this.options;
    const peers = o.peers?.(meetingId, ownerNodeId);
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
      ...(o.check
        ? {
            check: {
              hooks: o.check.hooks(meetingId),
              thresholds: o.check.thresholds,
              ...(o.check.measureMs ? { measureMs: o.check.measureMs } : {}),
            },
          }
        : {}),
      ...(peers ? { peers } : {}),
      onClosed: () => {
        this.directory.forget(session);
      },
    });
    const handlers = requestHandlers(session);
    if (peers && !session.role.decides) forwardToOwner(handlers, peers);
    const entry = { session, handlers };
    this.directory.opened(entry);
    return entry;
  }

  private onConnection(socket: Socket): void {
    const principal = socket.data.principal as SignalingPrincipal;
    const endpointId = endpointIdOf(principal);
    const log = this.log.child({ meetingId: principal.meetingId, endpointId });
    const ownerNodeId = edgeOwnerOf(socket);
    // The request handler is registered before anything is awaited; early requests wait here.
    const placed: Promise<PlacedConnection | undefined> = this.openSession(
      principal.meetingId,
      ownerNodeId,
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

  /** Shutdown: the directory refuses new sockets and closes the sessions (and their rooms). */
  close(): void {
    this.directory.close();
  }
}
