import type { Socket } from 'socket.io';
import { MediaLimitError } from '../media/MediaEndpoint.js';
import type { MediaLogger } from '../media/MediaLogger.js';
import { AppError, toErrorBody } from '../protocol/errors.js';
import {
  chairOnlyRequests,
  type EndpointRole,
  itOnlyRequests,
  type RequestName,
  requests,
} from '../protocol/socket.js';
import { sameText } from '../protocol/text.js';
import { withinConcurrency } from './requestLimits.js';
import type { RequestHandlers } from './session/handlerTypes.js';
import type { MeetingSession } from './session/MeetingSession.js';
import type { Participant } from './session/Participant.js';

/** Where a connection was placed: its session, that session's handlers, its participant. */
export interface PlacedConnection {
  session: MeetingSession;
  handlers: RequestHandlers;
  participant: Participant;
}

/** Requests one socket may send per second on average, with bursts up to twice that. */
const REQUESTS_PER_SECOND = 40;

function tokenBucket(perSecond: number): () => boolean {
  let tokens = perSecond * 2;
  let refilledAt = Date.now();
  return () => {
    const now = Date.now();
    tokens = Math.min(perSecond * 2, tokens + ((now - refilledAt) / 1000) * perSecond);
    refilledAt = now;
    if (tokens < 1) return false;
    tokens--;
    return true;
  };
}

/**
 * Answers one socket's requests: each is rate-limited, checked against the role, parsed with
 * its zod schema, then handed to the session's handler once the connection is placed (requests
 * that arrive while the session opens wait for it). Every request gets an acknowledgement.
 */
export function serveRequests(
  socket: Socket,
  role: EndpointRole,
  placed: Promise<PlacedConnection | undefined>,
  log: MediaLogger,
): void {
  const allow = tokenBucket(REQUESTS_PER_SECOND);
  socket.onAny((event: string, ...args: unknown[]) => {
    const ack = args[args.length - 1];
    const reply = typeof ack === 'function' ? (ack as (answer: unknown) => void) : undefined;
    const fail = (err: AppError | unknown) => {
      const { status, body } = toErrorBody(err);
      if (status >= 500) log.error({ err, event }, 'request failed');
      else log.warn({ event, code: body.code, msg: body.message.en }, 'request refused');
      reply?.({ ok: false, error: body });
    };
    if (!Object.hasOwn(requests, event))
      return fail(
        new AppError('bad_request', {
          vi: `Yêu cầu không tồn tại: "${event}"`,
          en: `unknown request "${event}"`,
        }),
      );
    const name = event as RequestName;
    if (!reply)
      return fail(
        new AppError('bad_request', {
          vi: `${name}: cần hàm nhận trả lời (acknowledgement)`,
          en: `${name}: an acknowledgement callback is required`,
        }),
      );
    if (!allow())
      return fail(
        new AppError('rate_limited', { vi: 'Quá nhiều yêu cầu', en: 'Too many requests' }),
      );
    if (chairOnlyRequests.has(name) && role !== 'chair')
      return fail(
        new AppError('forbidden', { vi: `${name}: chỉ chủ trì`, en: `${name}: chair only` }),
      );
    if (itOnlyRequests.has(name) && role !== 'it')
      return fail(
        new AppError('forbidden', { vi: `${name}: chỉ tổ CNTT`, en: `${name}: IT staff only` }),
      );
    const parsed = requests[name].payload.safeParse(args.length > 1 ? args[0] : undefined);
    if (!parsed.success) return fail(parsed.error);
    log.debug({ event: name }, 'request');
    placed
      .then((where) => {
        if (!where || where.session.isClosed || !socket.connected)
          throw new AppError('unavailable', {
            vi: 'Phiên họp đã kết thúc',
            en: 'The session has ended',
          });
        // The table is typed per request; the name and its parsed payload belong together.
        const handler = where.handlers[name] as (
          p: Participant,
          payload: typeof parsed.data,
        ) => Promise<unknown>;
        return withinConcurrency(socket, name, () => handler(where.participant, parsed.data));
      })
      .then(
        (data) => reply({ ok: true, data }),
        (err: unknown) => fail(asClientError(name, err)),
      );
  });
}

/** mediasoup rejects malformed parameters with TypeError, and our limits with MediaLimitError. */
function asClientError(name: RequestName, err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (err instanceof MediaLimitError)
    return new AppError('conflict', sameText(`${name}: ${err.message}`), {
      limit: err.limit,
      max: err.max,
    });
  // mediasoup's own words (English): the request was built by a program, not typed by a person.
  if (err instanceof TypeError)
    return new AppError('bad_request', sameText(`${name}: ${err.message}`));
  return err;
}
