import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';

export type TrustProxy = (address: string, hop: number) => boolean;

/**
 * Which hops may name the client in X-Forwarded-For. With no trusted proxy, nobody: the client
 * is the socket's peer, so a forged header changes nothing (rate limits key on this address).
 */
export function trustFor(trustedProxies: readonly string[]): TrustProxy {
  if (trustedProxies.length === 0) return () => false;
  return proxyAddr.compile([...trustedProxies]);
}

/** The client address of a raw request (the socket.io handshake) by the same rule as Fastify's. */
export function clientAddressOf(request: IncomingMessage, trust: TrustProxy): string {
  return proxyAddr(request, trust);
}
