import type { FastifyInstance } from 'fastify';

/**
 * The policy of the pages: scripts and styles only from the service itself (the built pages
 * load modules by src, never inline), media from here, no framing anywhere. Sockets may go to
 * another node of the cluster (a page is sent to the node that runs its meeting, at that node's
 * own address), so connect-src names schemes, not hosts: the secure ones, and the plain ones
 * only when the service itself is plain http (a LAN pilot, the tests).
 * Inline style attributes stay allowed: the printable views and Swagger UI use them.
 */
export function pageCspFor(publicUrl: string): string {
  const connect = publicUrl.startsWith('https:')
    ? "connect-src 'self' https: wss:"
    : "connect-src 'self' https: wss: http: ws:";
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    connect,
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Headers every answer carries, pages and documents alike: no MIME sniffing, no Referer (join
 * tokens are in page URLs), no framing (clickjacking a chair's controls). A route that set its
 * own, stricter CSP (printable documents, downloads) keeps it, with frame-ancestors added.
 */
export function installSecurityHeaders(app: FastifyInstance, publicUrl: string): void {
  const pageCsp = pageCspFor(publicUrl);
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    const csp = reply.getHeader('content-security-policy');
    if (typeof csp !== 'string' || csp === '') reply.header('content-security-policy', pageCsp);
    else if (!/frame-ancestors/i.test(csp))
      reply.header('content-security-policy', `${csp}; frame-ancestors 'none'`);
    return payload;
  });
}
