/**
 * Longest time a client may take to send one whole request, headers and body (slowloris).
 * 5 min: a 20 MiB report over a slow district line still fits. Shared by the plain and the
 * https server: Node 20 reads it only when the server is created.
 */
export const REQUEST_TIMEOUT_MS = 300_000;

/** How often Node looks for requests past their time. */
export function requestCheckInterval(requestTimeoutMs: number): number {
  return Math.min(30_000, Math.max(250, requestTimeoutMs / 4));
}
