import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { unavailable } from '../../protocol/errors.js';

const run = promisify(execFile);

/**
 * Prints A4 HTML to PDF with headless Chromium (the page's own @page rules set size and
 * margins). One print at a time: a document is rare, and Chromium is heavy on a small server.
 */
export class PdfPrinter {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly chromiumPath: string,
    private readonly timeoutMs = 60_000,
  ) {}

  print(html: string): Promise<Buffer> {
    const job = this.queue.then(() => this.printNow(html));
    this.queue = job.catch(() => {});
    return job;
  }

  private async printNow(html: string): Promise<Buffer> {
    if (!existsSync(this.chromiumPath))
      throw unavailable({
        vi: 'Máy chủ chưa cài Chromium để in PDF; hãy in bản HTML khổ A4',
        en: 'PDF printing is not installed; print the A4 HTML instead',
      });
    const dir = await mkdtemp(join(tmpdir(), 'diemcau-pdf-'));
    try {
      const input = join(dir, 'document.html');
      const output = join(dir, 'document.pdf');
      await writeFile(input, html);
      await run(
        this.chromiumPath,
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--no-first-run',
          '--disable-extensions',
          '--disable-background-networking',
          `--user-data-dir=${join(dir, 'profile')}`,
          '--no-pdf-header-footer',
          `--print-to-pdf=${output}`,
          pathToFileURL(input).href,
        ],
        { timeout: this.timeoutMs },
      );
      return await readFile(output);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
