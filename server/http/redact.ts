import type { FastifyRequest } from 'fastify';

const tokenParam = /^(token|access_token|t|key|secret|password|code|sessionid)$/i;

/**
 * A request URL fit for a log: the join token in /join/<token> and any token-bearing query
 * parameter replaced. Join tokens are bearer credentials; a log is read by more people than
 * the links are sent to.
 */
export function redactUrl(url: string): string {
  const hash = url.indexOf('#');
  const bare = hash >= 0 ? url.slice(0, hash) : url;
  const q = bare.indexOf('?');
  const path = (q >= 0 ? bare.slice(0, q) : bare).replace(/\/join\/[^/]+/gi, '/join/[redacted]');
  if (q < 0) return path;
  const query = bare
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq >= 0 ? pair.slice(0, eq) : pair;
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        // An undecodable name is kept as sent; only its value matters here.
      }
      return eq >= 0 && tokenParam.test(decoded) ? `${name}=[redacted]` : pair;
    })
    .join('&');
  return `${path}?${query}`;
}

/** Fastify's request log serializer, with the URL redacted. */
export function serializeRequest(request: FastifyRequest) {
  return {
    method: request.method,
    url: redactUrl(request.url),
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
