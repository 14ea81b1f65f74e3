import { z } from 'zod';
import { concatText, issueText, joinTexts, type Text, textSchema } from './text.js';

/**
 * One error family for HTTP and sockets. Browser-safe: no Node imports.
 * The code is stable (clients switch on it); the message is for people, in both languages, and
 * a bad request names each field to fix with its own message.
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

/** One field to fix: its path in the request ("body.sites.2.siteId") and what is wrong. */
export const fieldErrorSchema = z.object({ path: z.string(), message: textSchema });
export type FieldError = z.infer<typeof fieldErrorSchema>;

export const errorBodySchema = z.object({
  code: z.string(),
  message: textSchema,
  /** On a bad request: each field to fix. */
  fields: z.array(fieldErrorSchema).optional(),
  /** Extra facts the client may show, e.g. the current state on a 409. */
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly status: number;
  /** Error.message holds the English text, for logs. */
  constructor(
    readonly code: ErrorCode,
    readonly text: Text,
    readonly details?: Record<string, unknown>,
    readonly fields?: FieldError[],
  ) {
    super(text.en);
    this.status = errorCodes[code];
  }
  toBody(): ErrorBody {
    return {
      code: this.code,
      message: this.text,
      ...(this.fields?.length ? { fields: this.fields } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export const badRequest = (message: Text, details?: Record<string, unknown>) =>
  new AppError('bad_request', message, details);
/** A bad request about one field of the body (or params, query): the form marks it. */
export const badField = (path: string, message: Text) =>
  new AppError('bad_request', concatText(path, ': ', message), undefined, [{ path, message }]);
export const forbidden = (message: Text) => new AppError('forbidden', message);
export const notFound = (message: Text) => new AppError('not_found', message);
export const conflict = (message: Text, details?: Record<string, unknown>) =>
  new AppError('conflict', message, details);
export const unavailable = (message: Text) => new AppError('unavailable', message);

/** Each zod issue as a field error; `prefix` names where it was ("body", "query"). */
export function zodFields(error: z.ZodError, prefix?: string): FieldError[] {
  return error.issues.map((i) => ({
    path: [...(prefix ? [prefix] : []), ...i.path.map(String)].join('.'),
    message: issueText(i.message),
  }));
}

/** A bad request listing every field to fix (message: "path: what is wrong; …"). */
export function fieldsError(fields: FieldError[]): AppError {
  const message = joinTexts(
    fields.map((f) => (f.path ? concatText(f.path, ': ', f.message) : f.message)),
    '; ',
  );
  return new AppError('bad_request', message, undefined, fields);
}

/** Formats zod issues for logs and tests, naming each field: "agenda.2.startsAt: ...". */
export function describeZodError(error: z.ZodError): string {
  return zodFields(error)
    .map((f) => (f.path ? `${f.path}: ${f.message.en}` : f.message.en))
    .join('; ');
}

const INTERNAL: Text = { vi: 'Lỗi máy chủ', en: 'Internal server error' };

/** The same mapping for HTTP responses and socket acknowledgements; hides internals of 5xx. */
export function toErrorBody(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof AppError) return { status: err.status, body: err.toBody() };
  if (err instanceof z.ZodError) return { status: 400, body: fieldsError(zodFields(err)).toBody() };
  return { status: 500, body: { code: 'internal', message: INTERNAL } };
}
