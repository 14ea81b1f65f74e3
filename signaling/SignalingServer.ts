import { EventEmitter } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { MediaLogger } from '../media/MediaLogger.js';
import { Room } from '../media/Room.js';
import type { WorkerPool } from '../media/WorkerPool.js';
import type { CheckHooks } from './ConnectionCheck.js';
import { MeetingSession, type SessionHooks, type SessionMeetingInfo } from './MeetingSession.js';
import type { Participant } from './Participant.js';
import type { CheckThresholdsLike } from './protocol/check.js';
import { AppError, toErrorBody } from './protocol/errors.js';
import {
  chairOnlyRequests,
  type EndpointRole,
  itOnlyRequests,
  type NotificationName,
  type NotificationPayload,
  type RequestName,
  requests,
} from './protocol/socket.js';
import type { QualityThresholds } from './quality.js';

/** Who a connection is, as established by the server's access layer. */
export interface SignalingPrincipal {
  role: EndpointRole;
  meetingId: string;
  siteId?: string;
  /** Shown to others: the site's name, "Điểm cầu chính", the chair's or IT user's name. */
  name: string;
  userId?: string;
}

export interface HandshakeCredentials {
  token?: string;
  cookie?: string;
  meetingId?: string;
}

export interface SignalingServerOptions {
  httpServer: HttpServer;
  pool: WorkerPool;
  logger: MediaLogger;
  /** Throws AppError (401/403/404) when the credentials do not grant access. */
  authenticate(credentials: HandshakeCredentials): Promise<SignalingPrincipal>;
  meetingInfo(meetingId: string): Promise<SessionMeetingInfo>;
  hooks(meetingId: string): SessionHooks;
  iceServers(): { urls: string | string[]; username?: string; credential?: string }[];
  qualityThresholds: QualityThresholds;
  maxConsumersPerRouter: number;
  statsIntervalMs?: number;
  /** The connection check of one meeting: persistence hooks (absent: checks are refused). */
  checkHooks?(meetingId: string): CheckHooks;
  checkThresholds?: CheckThresholdsLike;
  /** How long a full check measures (ms); tests shorten it. */
  checkMeasureMs?: number;
}

/** Requests one socket may send per second on average, with bursts up to twice that. */
const REQUESTS_PER_SECOND = 40;

function endpointIdOf(p: SignalingPrincipal): string {
  switch (p.role) {
    case 'site':
      return `site:${p.siteId}`;
    case 'it':
      return `it:${p.userId ?? 'staff'}`;
    default:
      return p.role;
  }
}

/**
 * socket.io signaling: authenticates each connection with its join token (or an IT session),
 * places it in its meeting's session, validates every request with the shared zod schemas and
 * answers each with an acknowledgement. A bad message gets an error answer, never a crash.
 */
export class SignalingServer {
  readonly io: Server;
  /** sessionOpened: a meeting's live session exists; subscribe to its SessionEvents. */
  readonly events = new EventEmitter<{ sessionOpened: [MeetingSession] }>();
  private readonly sessions = new Map<string, MeetingSession>();
  private readonly opening = new Map<string, Promise<MeetingSession>>();
  private readonly log: MediaLogger;
  private closed = false;

  constructor(private readonly options: SignalingServerOptions) {
    this.log = options.logger.child({ component: 'signaling' });
    // Short ping so a vanished site shows offline within 5 seconds.
    this.io = new Server(options.httpServer, {
      pingInterval: 2000,
      pingTimeout: 2500,
      maxHttpBufferSize: 256 * 1024,
      serveClient: false,
    });
    this.io.use((socket, next) => {
      if (this.closed)
        return next(
          this.connectError(
            new AppError('unavailable', 'Máy chủ đang dừng / Server is shutting down'),
          ),
        );
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
      };
      options
        .authenticate(credentials)
        .then((principal) => {
          socket.data.principal = principal;
          next();
        })
        .catch((err) => {
          this.log.warn({ err: (err as Error).message }, 'socket authentication refused');
          next(this.connectError(err));
        });
    });
    this.io.on('connection', (socket) => void this.onConnection(socket));
  }

  private connectError(err: unknown): Error {
    const { body } = toErrorBody(err);
    const error = new Error(body.message) as Error & { data?: unknown };
    error.data = body;
    return error;
  }

  session(meetingId: string): MeetingSession | undefined {
    return this.sessions.get(meetingId);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Get-or-create, serialized so concurrent joins never open the same meeting twice. */
  private openSession(meetingId: string): Promise<MeetingSession> {
    const existing = this.sessions.get(meetingId);
    if (existing && !existing.isClosed) return Promise.resolve(existing);
    let opening = this.opening.get(meetingId);
    if (!opening) {
      opening = (async () => {
        const info = await this.options.meetingInfo(meetingId);
        const room = await Room.create({
          id: meetingId,
          pool: this.options.pool,
          logger: this.options.logger,
          maxConsumersPerRouter: this.options.maxConsumersPerRouter,
        });
        const session: MeetingSession = new MeetingSession({
          meetingId,
          room,
          io: this.io,
          info,
          hooks: this.options.hooks(meetingId),
          iceServers: this.options.iceServers,
          logger: this.options.logger,
          qualityThresholds: this.options.qualityThresholds,
          ...(this.options.statsIntervalMs
            ? { statsIntervalMs: this.options.statsIntervalMs }
            : {}),
          ...(this.options.checkHooks
            ? {
                check: {
                  hooks: this.options.checkHooks(meetingId),
                  thresholds: this.options.checkThresholds ?? {
                    ...this.options.qualityThresholds,
                    minUplinkKbps: 1200,
                    minDownlinkKbps: 1500,
                  },
                  ...(this.options.checkMeasureMs
                    ? { measureMs: this.options.checkMeasureMs }
                    : {}),
                },
              }
            : {}),
          onClosed: () => {
            if (this.sessions.get(meetingId) === session) this.sessions.delete(meetingId);
          },
        });
        this.sessions.set(meetingId, session);
        this.events.emit('sessionOpened', session);
        return session;
      })().finally(() => this.opening.delete(meetingId));
      this.opening.set(meetingId, opening);
    }
    return opening;
  }

  private async onConnection(socket: Socket): Promise<void> {
    const principal = socket.data.principal as SignalingPrincipal;
    const log = this.log.child({
      meetingId: principal.meetingId,
      endpointId: endpointIdOf(principal),
    });
    let session: MeetingSession;
    let participant: Participant;
    try {
      session = await this.openSession(principal.meetingId);
      participant = session.attach(
        {
          endpointId: endpointIdOf(principal),
          role: principal.role,
          ...(principal.siteId ? { siteId: principal.siteId } : {}),
          name: principal.name,
        },
        socket,
      );
    } catch (err) {
      log.error({ err }, 'could not place connection in its meeting');
      socket.emit('sessionEnded', { reason: toErrorBody(err).body.message });
      socket.disconnect(true);
      return;
    }
    log.info({ role: principal.role }, 'endpoint connected');

    let tokens = REQUESTS_PER_SECOND * 2;
    let refilledAt = Date.now();
    const allow = () => {
      const now = Date.now();
      tokens = Math.min(
        REQUESTS_PER_SECOND * 2,
        tokens + ((now - refilledAt) / 1000) * REQUESTS_PER_SECOND,
      );
      refilledAt = now;
      if (tokens < 1) return false;
      tokens--;
      return true;
    };

    socket.onAny((event: string, ...args: unknown[]) => {
      const ack = args[args.length - 1];
      const reply = typeof ack === 'function' ? (ack as (answer: unknown) => void) : undefined;
      const fail = (err: AppError | unknown) => {
        const { status, body } = toErrorBody(err);
        if (status >= 500) log.error({ err, event }, 'request failed');
        else log.warn({ event, code: body.code, msg: body.message }, 'request refused');
        reply?.({ ok: false, error: body });
      };
      if (!Object.hasOwn(requests, event))
        return fail(new AppError('bad_request', `unknown request "${event}"`));
      const name = event as RequestName;
      if (!reply)
        return fail(
          new AppError('bad_request', `${name}: an acknowledgement callback is required`),
        );
      if (!allow())
        return fail(new AppError('rate_limited', 'Quá nhiều yêu cầu / Too many requests'));
      if (chairOnlyRequests.has(name) && participant.role !== 'chair') {
        return fail(new AppError('forbidden', `${name}: chỉ chủ trì / chair only`));
      }
      if (itOnlyRequests.has(name) && participant.role !== 'it') {
        return fail(new AppError('forbidden', `${name}: chỉ tổ CNTT / IT staff only`));
      }
      if (session.isClosed)
        return fail(new AppError('unavailable', 'Phiên họp đã kết thúc / The session has ended'));
      const parsed = requests[name].payload.safeParse(args.length > 1 ? args[0] : undefined);
      if (!parsed.success) return fail(parsed.error);
      log.debug({ event: name }, 'request');
      const handler = session.handlers[name] as (
        p: Participant,
        payload: unknown,
      ) => Promise<unknown>;
      handler(participant, parsed.data).then(
        (data) => reply({ ok: true, data }),
        (err: unknown) => {
          // mediasoup rejects malformed parameters with TypeError: that is the client's mistake.
          if (err instanceof TypeError && !(err instanceof AppError)) {
            fail(new AppError('bad_request', `${name}: ${err.message}`));
          } else fail(err);
        },
      );
    });

    socket.on('disconnect', (reason) => {
      if (socket.data.replaced) log.info('connection replaced by another tab');
      else log.info({ reason }, 'endpoint disconnected');
      session.detach(participant, socket, reason);
    });
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
    if (to.siteId !== undefined) {
      this.sessions.get(meetingId)?.participant(`site:${to.siteId}`)?.socket?.emit(name, payload);
    }
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
    for (const session of [...this.sessions.values()]) session.close('server shutdown');
    this.sessions.clear();
    // io.close() would also close the HTTP server, which the HTTP layer owns.
    this.io.disconnectSockets(true);
    this.io.engine.close();
  }
}
