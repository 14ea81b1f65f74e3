import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError, unavailable } from '../../protocol/errors.js';

export interface PdfPrinterOptions {
  /** Longest one print may take. Default 60 s. */
  timeoutMs?: number;
  /** Prints waiting behind the running one; beyond, a request is refused (503). Default 3. */
  maxWaiting?: number;
}

interface Job {
  html: string;
  signal: AbortSignal | undefined;
  resolve: (pdf: Buffer) => void;
  reject: (err: unknown) => void;
}

const abandoned = () =>
  new AppError('unavailable', {
    vi: 'Yêu cầu in đã bị hủy',
    en: 'The print request was abandoned',
  });

/**
 * Prints A4 HTML to PDF with headless Chromium (the page's own @page rules set size and
 * margins). One print at a time: a document is rare, and Chromium is heavy on a small server.
 * The queue is bounded (a caller cannot stack prints without end), and a print whose requester
 * went away is dropped from the queue or its Chromium killed, so it delays nobody.
 */
export class PdfPrinter {
  private readonly waiting: Job[] = [];
  private running = false;
  private readonly timeoutMs: number;
  private readonly maxWaiting: number;

  constructor(
    private readonly chromiumPath: string,
    options: PdfPrinterOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.maxWaiting = options.maxWaiting ?? 3;
  }

  /** Prints are running or waiting now (for tests and metrics). */
  get pending(): number {
    return this.waiting.length + (this.running ? 1 : 0);
  }

  /** The PDF; `signal` aborts when the requester is gone (the HTTP connection closed). */
  print(html: string, signal?: AbortSignal): Promise<Buffer> {
    if (signal?.aborted) return Promise.reject(abandoned());
    if (this.running && this.waiting.length >= this.maxWaiting)
      return Promise.reject(
        new AppError(
          'unavailable',
          {
            vi: 'Máy chủ đang bận in tài liệu khác, hãy thử lại sau ít phút',
            en: 'The server is busy printing other documents; retry in a minute',
          },
          { retryAfterSeconds: 30 },
        ),
      );
    return new Promise<Buffer>((resolve, reject) => {
      const job: Job = { html, signal, resolve, reject };
      signal?.addEventListener(
        'abort',
        () => {
          const at = this.waiting.indexOf(job);
          if (at >= 0) {
            this.waiting.splice(at, 1);
            reject(abandoned());
          }
        },
        { once: true },
      );
      this.waiting.push(job);
      this.next();
    });
  }

  private next(): void {
    if (this.running) return;
    const job = this.waiting.shift();
    if (!job) return;
    this.running = true;
    this.printNow(job.html, job.signal)
      .then(job.resolve, (err) => job.reject(job.signal?.aborted ? abandoned() : err))
      .finally(() => {
        this.running = false;
        this.next();
      });
  }

  private async printNow(html: string, signal: AbortSignal | undefined): Promise<Buffer> {
    if (!existsSync(this.chromiumPath))
      throw unavailable({
        vi: 'Máy chủ chưa cài Chromium để in PDF; hãy in bản HTML khổ A4',
        en: 'PDF printing is not installed; print the A4 HTML instead',
      });
    const dir = await mkdtemp(join(tmpdir(), 'diemcau-pdf-'));
    const user = printUser();
    const gate = await startPrintGate(html);
    try {
      if (user) await chown(dir, user.uid, user.gid);
      const output = join(dir, 'document.pdf');
      await runGroup(
        this.chromiumPath,
        [
          // Chromium's own sandbox stays on (never --no-sandbox): it runs as an unprivileged user.
          '--headless',
          '--disable-gpu',
          '--no-first-run',
          '--no-default-browser-check',
          '--disable-extensions',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--disable-crash-reporter',
          '--disable-breakpad',
          // Every request, loopback included, goes to the gate, which serves the document and
          // refuses anything else; the document is http://, so file:// is out of its reach.
          `--proxy-server=http://127.0.0.1:${gate.port}`,
          '--proxy-bypass-list=<-loopback>',
          `--user-data-dir=${join(dir, 'profile')}`,
          '--no-pdf-header-footer',
          `--print-to-pdf=${output}`,
          documentUrl,
        ],
        {
          timeoutMs: this.timeoutMs,
          signal,
          user,
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
        },
      );
      this.lastRefused = gate.refused;
      return await readFile(output);
    } finally {
      await gate.close();
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Requests the last print's document tried and the gate refused (tests read it). */
  lastRefused: readonly string[] = [];
}

/**
 * Runs a program in a process group of its own and waits for it; on timeout or abort the whole
 * group is killed (Chromium's zygote and renderers outlive a killed browser process).
 */
function runGroup(
  file: string,
  args: string[],
  options: {
    timeoutMs: number;
    signal: AbortSignal | undefined;
    user: { uid: number; gid: number } | undefined;
    env: NodeJS.ProcessEnv;
  },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: options.env,
      ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-4000);
    });
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(killGroup, options.timeoutMs);
    options.signal?.addEventListener('abort', killGroup, { once: true });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code, signalName) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', killGroup);
      // The browser is gone; whatever it left in its group goes with it.
      killGroup();
      if (code === 0) resolve();
      else reject(new Error(`chromium exited with ${code ?? signalName}: ${stderr.slice(-500)}`));
    });
  });
}

/** The one address the printing Chromium may load: the gate answers it with the document. */
const documentUrl = 'http://in-tai-lieu.diemcau/';

/** The printed document may use inline styles and embedded (data:) images and fonts only. */
const documentPolicy =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; frame-src 'none'";

/**
 * Whom Chromium runs as: when the service runs as root, the unprivileged `nobody` (its sandbox
 * needs a non-root user); otherwise the service's own user.
 */
function printUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  return { uid: 65534, gid: 65534 };
}

interface PrintGate {
  port: number;
  refused: string[];
  close(): Promise<void>;
}

/**
 * A proxy on loopback for one print: it serves the document at documentUrl and refuses every
 * other request (plain or CONNECT tunnels), so a document that slipped past escaping still
 * cannot reach the network, the server's own ports or the cloud's metadata address.
 */
async function startPrintGate(html: string): Promise<PrintGate> {
  const refused: string[] = [];
  const server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === documentUrl) {
      // No script runs and nothing loads, whatever the markup says (a <meta> policy can only
      // add restrictions). --blink-settings=scriptEnabled=false would stop the print itself.
      response.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': documentPolicy,
      });
      response.end(html);
      return;
    }
    refused.push(`${request.method} ${request.url}`);
    response.writeHead(403, { connection: 'close' });
    response.end();
  });
  server.on('connect', (request, socket) => {
    // A tunnel's socket has no error listener once handed here (Node's 'connect' contract):
    // Chromium resetting the refused tunnel was an uncaught ECONNRESET that ended the process.
    socket.on('error', () => {});
    refused.push(`CONNECT ${request.url}`);
    socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * An AbortSignal that fires when the HTTP response closes before it was sent: the requester
 * hung up, so work done for it is wasted.
 */
export function abandonedSignal(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}
