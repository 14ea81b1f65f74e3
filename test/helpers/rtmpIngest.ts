import { type ChildProcess, spawn } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports.js';

export interface IngestSession {
  /** Epoch ms at which the publisher connected. */
  connectedAt: number;
  /** Epoch ms at which it went away (undefined while connected). */
  endedAt?: number;
  /** What the ingest received, copied (FLV). */
  file: string;
}

export interface RtmpIngest {
  port: number;
  sessions: IngestSession[];
  close: () => Promise<void>;
}

async function connectWhenListening(port: number, deadline: number): Promise<Socket> {
  for (;;) {
    try {
      return await new Promise<Socket>((ok, fail) => {
        const socket = connect(port, '127.0.0.1', () => ok(socket));
        socket.once('error', fail);
      });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(30);
    }
  }
}

/**
 * An RTMP ingest that always listens, as a real one (nginx-rtmp, a CDN) does: every publisher
 * that connects gets its own FFmpeg (`-listen 1`, which takes one publisher and exits) behind a
 * TCP relay, and its stream is copied to a file of its own. FFmpeg alone would refuse a
 * publisher that reconnects while it restarts.
 */
export async function startRtmpIngest(dir: string): Promise<RtmpIngest> {
  const sessions: IngestSession[] = [];
  const children = new Set<ChildProcess>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    client.pause();
    sockets.add(client);
    const session: IngestSession = {
      connectedAt: Date.now(),
      file: join(dir, `ingest-${sessions.length + 1}.flv`),
    };
    sessions.push(session);
    void (async () => {
      const port = await freePort();
      const child = spawn(
        'ffmpeg',
        [
          '-v',
          'error',
          '-listen',
          '1',
          '-i',
          `rtmp://127.0.0.1:${port}/live/key`,
          '-c',
          'copy',
          '-y',
          session.file,
        ],
        { stdio: ['ignore', 'ignore', 'ignore'] },
      );
      children.add(child);
      child.once('close', () => children.delete(child));
      const upstream = await connectWhenListening(port, Date.now() + 10_000).catch(() => undefined);
      if (!upstream) {
        client.destroy();
        child.kill('SIGKILL');
        return;
      }
      sockets.add(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
      const end = () => {
        session.endedAt ??= Date.now();
        client.destroy();
        upstream.destroy();
      };
      client.once('close', end);
      upstream.once('close', end);
      client.on('error', end);
      upstream.on('error', end);
    })();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  return {
    port,
    sessions,
    close: async () => {
      server.close();
      for (const socket of sockets) socket.destroy();
      // Each FFmpeg sees its publisher gone and writes its file's end; wait for them.
      await Promise.all(
        [...children].map(
          (child) =>
            new Promise<void>((ok) => {
              const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
              child.once('close', () => {
                clearTimeout(kill);
                ok();
              });
            }),
        ),
      );
    },
  };
}
