import { errorBodySchema, type FieldError } from '../../protocol/errors.js';
import type { Text } from '../../protocol/text.js';
import type { Lang, MessageKey, Translate } from './i18n.js';
import { localize } from './i18n.js';

/** An HTTP or socket error, with the server's stable code and its words in both languages. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: string,
    /** The server's message; absent when the page itself saw the failure (network, status). */
    readonly text?: Text,
    readonly status = 0,
    readonly details?: Record<string, unknown>,
    readonly fields: readonly FieldError[] = [],
  ) {
    super(text?.en ?? code);
  }

  /** The error a response body describes (any body: a proxy's page reads as its status). */
  static fromBody(status: number, body: unknown, fallback?: Text): ApiError {
    const parsed = errorBodySchema.safeParse(body);
    if (!parsed.success) return new ApiError(codeOfStatus(status), fallback, status);
    const e = parsed.data;
    return new ApiError(e.code, e.message, status, e.details, e.fields ?? []);
  }

  /**
   * The fields a 400 names, by path inside the body ("sites.2.siteId"), with their message, so
   * forms can mark the field to fix.
   */
  fieldErrors(lang: Lang): Record<string, string> {
    const out: Record<string, string> = {};
    for (const f of this.fields) out[f.path.replace(/^body\./, '')] = localize(f.message, lang);
    return out;
  }
}

let bearer: string | undefined;
const unauthorizedListeners = new Set<() => void>();

/** The admin board shows its login form again when the session expires mid-work. */
export function onUnauthorized(fn: () => void): () => void {
  unauthorizedListeners.add(fn);
  return () => void unauthorizedListeners.delete(fn);
}

/** Join-link pages authenticate HTTP with their token; the admin board uses its cookie. */
export function setBearer(token: string | undefined): void {
  bearer = token;
}

/** The Authorization header of this page, for fetches outside api() (documents). */
export function authHeaders(): Record<string, string> {
  return bearer ? { authorization: `Bearer ${bearer}` } : {};
}

export interface RequestOptions {
  ifMatch?: number;
  signal?: AbortSignal;
}

export async function api<T>(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (options.ifMatch !== undefined) headers['if-match'] = `"${options.ifMatch}"`;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError('network');
  }
  const text = await response.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!response.ok) {
    if (response.status === 401 && !bearer && !path.startsWith('/api/auth/'))
      for (const fn of unauthorizedListeners) fn();
    throw ApiError.fromBody(response.status, data);
  }
  return data as T;
}

export function codeOfStatus(status: number): string {
  if (status === 400) return 'bad_request';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 413) return 'payload_too_large';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'unavailable';
  return 'internal';
}

const adviceByCode: Record<string, MessageKey> = {
  network: 'errNetwork',
  unauthorized: 'errUnauthorized',
  forbidden: 'errForbidden',
  not_found: 'errNotFound',
  conflict: 'errConflict',
  bad_request: 'errBadRequest',
  rate_limited: 'errRateLimited',
  unavailable: 'errUnavailable',
  payload_too_large: 'errTooLarge',
  timeout: 'errTimeout',
  internal: 'errInternal',
};

export interface Explained {
  /** What went wrong and what to do next, in the reader's language. */
  advice: string;
  /** The server's own words, when they add something (which field, which other meeting). */
  detail?: string;
}

/** Turns any error (HTTP, socket acknowledgement, network) into words for the person. */
export function explain(
  err: unknown,
  t: Translate,
  lang: Lang,
  unauthorized?: MessageKey,
): Explained {
  const code = (err as { code?: unknown })?.code;
  // The server's words (ApiError, or a socket acknowledgement's RequestError).
  const text = (err as { text?: Text })?.text;
  const said = text ? localize(text, lang) : undefined;
  // A conflict other than a stale version (a state that forbids it) is best said in the server's words.
  const details = (err as { details?: Record<string, unknown> })?.details;
  if (code === 'conflict' && details?.currentVersion === undefined && said) {
    return { advice: said };
  }
  if (typeof code === 'string' && code in adviceByCode) {
    const key = code === 'unauthorized' && unauthorized ? unauthorized : adviceByCode[code]!;
    const advice = t(key);
    const showDetail = !['network', 'timeout', 'internal'].includes(code) && said;
    return showDetail ? { advice, detail: said } : { advice };
  }
  // Not from the server: a failure of the page itself, in its own (English) words.
  const message = err instanceof Error ? err.message : String(err);
  return { advice: t('errInternal'), detail: said ?? message };
}
