import { forbidden } from '../../protocol/errors.js';

export interface OriginHeaders {
  origin?: string | undefined;
  secFetchSite?: string | undefined;
  /** The Host the browser addressed (the port included). */
  host?: string | undefined;
  /** The scheme the request arrived by ('http' or 'https'); an origin of the other is foreign. */
  scheme?: string | undefined;
}

const refused = () =>
  forbidden({
    vi: 'Yêu cầu phải đến từ trang của hệ thống',
    en: 'The request must come from the service’s own pages',
  });

/**
 * Cookie-borne requests that change state must come from our own pages: SameSite=Lax alone lets
 * a sibling subdomain or another port of the same host through. The browser's Sec-Fetch-Site
 * says so directly; without it (WebSocket handshakes, older browsers, plain http away from
 * localhost) the Origin must be PUBLIC_URL's, or name the very host and port the request was
 * sent to (a page opened by the server's address; a foreign page never has that origin, and a
 * DNS-rebinding page gets none of our cookies). A request with neither header comes from no
 * browser, so it carries no victim's cookie. Throws 403 otherwise.
 */
export function assertSameOrigin(headers: OriginHeaders, publicUrl: string): void {
  const site = headers.secFetchSite?.trim().toLowerCase();
  if (site !== undefined && site !== '') {
    if (site !== 'same-origin') throw refused();
    return;
  }
  if (headers.origin === undefined) return;
  if (headers.origin === new URL(publicUrl).origin) return;
  let origin: URL;
  try {
    origin = new URL(headers.origin);
  } catch {
    throw refused();
  }
  if (!headers.host || origin.host !== headers.host.toLowerCase()) throw refused();
  // https://host:port is another origin than http://host:port (a TLS page of another service).
  if (!headers.scheme || origin.protocol !== `${headers.scheme.toLowerCase()}:`) throw refused();
}

const firstOf = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** The headers from a Node header bag (Fastify request, socket.io handshake), with the scheme. */
export function originHeaders(
  headers: Record<string, string | string[] | undefined>,
  scheme: string,
): OriginHeaders {
  return {
    origin: firstOf(headers.origin),
    secFetchSite: firstOf(headers['sec-fetch-site']),
    host: firstOf(headers.host),
    scheme,
  };
}
