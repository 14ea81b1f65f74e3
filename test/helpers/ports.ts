import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/** A TCP port free now on `host`, chosen by the kernel (the caller binds it straight away). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

function tcpFree(port: number, host: string): Promise<boolean> {
  return new Promise((ok) => {
    const server = createServer();
    server.once('error', () => ok(false));
    server.listen(port, host, () => server.close(() => ok(true)));
  });
}

function udpFree(port: number, host: string): Promise<boolean> {
  return new Promise((ok) => {
    const socket = createSocket('udp4');
    socket.once('error', () => ok(false));
    socket.bind(port, host, () => socket.close(() => ok(true)));
  });
}

/**
 * A base for `count` media ports (a worker's WebRtcServer takes one port per worker, UDP and
 * TCP) that are free now. Drawn at random below the kernel's ephemeral range (32768 and up),
 * where no outgoing connection of another test can take the port between this check and the
 * service's bind: fixed bases derived from the PID collided there (a service that could not
 * bind its media port never came up).
 */
export async function freeRtcPortBase(count = 1, host = '0.0.0.0'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 1200) * 10;
    let free = true;
    for (let port = base; port < base + count && free; port++) {
      free = (await tcpFree(port, host)) && (await udpFree(port, host));
    }
    if (free) return base;
  }
  throw new Error(`no ${count} free media ports between 20000 and 32000`);
}
