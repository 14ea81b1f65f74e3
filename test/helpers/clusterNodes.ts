import { io, type Socket } from 'socket.io-client';

/**
 * Connects socket.io the way MeetingClient does across nodes: a node that does not own the
 * meeting refuses the handshake with the owner's URL, and the connection goes there.
 */
export async function connectToOwner(
  home: string,
  options: { auth: Record<string, string>; cookie?: string },
): Promise<{ socket: Socket; url: string; redirected: boolean }> {
  let url = home;
  for (let hop = 0; hop < 4; hop++) {
    const socket = io(url, {
      auth: options.auth,
      transports: ['websocket'],
      reconnection: false,
      ...(options.cookie ? { extraHeaders: { cookie: options.cookie, origin: url } } : {}),
    });
    const outcome = await new Promise<true | string>((ok) => {
      socket.once('connect', () => ok(true));
      socket.once(
        'connect_error',
        (err: Error & { data?: { code: string; details?: { ownerUrl?: string } } }) =>
          ok(err.data?.details?.ownerUrl ?? `refused: ${err.data?.code ?? err.message}`),
      );
    });
    if (outcome === true) return { socket, url, redirected: url !== home };
    socket.close();
    if (!outcome.startsWith('http')) throw new Error(outcome);
    url = outcome;
  }
  throw new Error('too many redirects');
}

/** Logs an IT account in on one node; the cookie is valid on every node (sessions live in Redis). */
export async function loginCookie(
  base: string,
  account: { username: string; password: string },
): Promise<string> {
  const res = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify(account),
  });
  if (!res.ok) throw new Error(`login failed: ${res.status}`);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}
