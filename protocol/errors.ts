import { z } from 'zod';

/**
 * One error family for HTTP and sockets. Browser-safe: no Node imports.
 * The code is stable (clients switch on it); the message is for people.
 */
export const errorCodes = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof errorCodes;

export const errorBodySchema = z.object({
  code: z.string(),
  message: z.string(),
  /** Extra facts the client may show, e.g. the current state on a 409. */
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.status = errorCodes[code];
  }
  toBody(): ErrorBody {
    return this.details
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}

export const badRequest = (message: string, details?: Record<string, unknown>) =>
  new AppError('bad_request', message, details);
export const forbidden = (message: string) => new AppError('forbidden', message);
export const notFound = (message: string) => new AppError('not_found', message);
export const conflict = (message: string, details?: Record<string, unknown>) =>
  new AppError('conflict', message, details);
export const unavailable = (message: string) => new AppError('unavailable', message);

/** Formats zod issues so the message names each field: "agenda.2.startsAt: ...". */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/** The same mapping for HTTP responses and socket acknowledgements; hides internals of 5xx. */
export function toErrorBody(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof AppError) return { status: err.status, body: err.toBody() };
  if (err instanceof z.ZodError) {
    return { status: 400, body: { code: 'bad_request', message: describeZodError(err) } };
  }
  return {
    status: 500,
    body: { code: 'internal', message: 'Lỗi máy chủ / Internal server error' },
  };
}
