import type { Socket } from 'socket.io-client';
import type { Ack, RequestAnswer, RequestName, RequestPayload } from '../protocol/socket.js';
import type { Text } from '../protocol/text.js';

/*
 * A request to the server and its acknowledgement, shared by the pages (web/client) and the
 * emulated sites (loadtest/): the payload and answer types come from the contract in protocol/.
 */

/** A refused request or handshake: the server's code and its words in both languages. */
export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(
    readonly code: string,
    readonly text?: Text,
    readonly details?: Record<string, unknown>,
  ) {
    super(text?.en ?? code);
  }
}

/** Sends `name` and resolves with the server's answer; a refusal or silence is a RequestError. */
export function request<N extends RequestName>(
  socket: Socket,
  name: N,
  payload: RequestPayload<N>,
  timeoutMs = 10_000,
): Promise<RequestAnswer<N>> {
  return new Promise((ok, fail) => {
    socket
      .timeout(timeoutMs)
      .emit(name, payload, (err: Error | null, answer: Ack<RequestAnswer<N>>) => {
        if (err)
          return fail(
            new RequestError('timeout', {
              vi: `${name}: máy chủ không trả lời sau ${timeoutMs} ms`,
              en: `${name}: no answer in ${timeoutMs} ms`,
            }),
          );
        if (answer.ok) ok(answer.data);
        else fail(new RequestError(answer.error.code, answer.error.message, answer.error.details));
      });
  });
}

/** The request function a transport or a track needs, already bound to its socket. */
export type Requester = <N extends RequestName>(
  name: N,
  payload: RequestPayload<N>,
  timeoutMs?: number,
) => Promise<RequestAnswer<N>>;

/** One line for a log or a report: a refusal keeps the server's code. */
export function describeError(err: unknown): string {
  if (err instanceof RequestError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
