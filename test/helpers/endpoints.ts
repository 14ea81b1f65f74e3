import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openPage, waitFor } from './browser.js';

export interface HarnessEndpoint {
  page: Page;
  name: string;
  received(
    endpointId: string,
    source: string,
  ): Promise<{
    framesDecoded: number;
    packetsReceived: number;
    bytesReceived: number;
    present: boolean;
    consumerId?: string;
  }>;
  request(name: string, payload?: unknown): Promise<unknown>;
  log(): Promise<string[]>;
  close(): Promise<void>;
}

/** Opens the client harness page and starts one endpoint in it. */
export async function startEndpoint(
  browser: Browser,
  baseUrl: string,
  name: string,
  opts: {
    token: string;
    send?: boolean;
    camera?: boolean | { width: number; height: number; color?: string };
    microphone?: boolean;
    /** Runs on the page's context before it loads (e.g. a watcher installed from the start). */
    init?: (context: BrowserContext) => Promise<void>;
  },
): Promise<HarnessEndpoint> {
  const { page, context } = await openPage(browser, `${baseUrl}/harness.html`, name, opts.init);
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
  const { init: _init, ...start } = opts;
  await page.evaluate((o) => window.harness.start(o), start);
  await waitFor(
    () => page.evaluate(() => window.harness.client()?.connectionState === 'connected'),
    15_000,
    `${name} connected`,
  );
  return {
    page,
    name,
    received: (endpointId, source) =>
      page.evaluate(([e, s]) => window.harness.receivedFrom(e!, s!), [endpointId, source]),
    request: async (req, payload = {}) => {
      const answer = await page.evaluate(
        async ([r, p]) => {
          try {
            return {
              ok: true as const,
              data: await window.harness.client()!.request(r as never, p as never),
            };
          } catch (err) {
            return {
              ok: false as const,
              code: (err as { code?: string }).code,
              message: (err as Error).message,
            };
          }
        },
        [req, payload] as const,
      );
      if (!answer.ok) throw Object.assign(new Error(answer.message), { code: answer.code });
      return answer.data;
    },
    log: () => page.evaluate(() => window.harness.log),
    close: () => context.close(),
  };
}

/** Waits until `endpoint` decodes new video frames (or receives new audio packets) from a source. */
export async function waitForMedia(
  endpoint: HarnessEndpoint,
  from: string,
  source: 'camera' | 'microphone' | 'screen',
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  const metric = source === 'microphone' ? 'packetsReceived' : 'framesDecoded';
  let first: number | undefined;
  let consumer: string | undefined;
  let last: unknown;
  await waitFor(
    async () => {
      const r = await endpoint.received(from, source);
      last = r;
      if (!r.present) return false;
      // A new consumer (the page reconnected) counts from its own start, not the old one's total.
      if (r.consumerId !== consumer) {
        consumer = r.consumerId;
        first = r[metric];
      }
      first ??= r[metric];
      return r[metric] > first + (source === 'microphone' ? 10 : 3);
    },
    timeoutMs,
    `${endpoint.name} receiving ${source} from ${from}`,
    100,
  ).catch(async (err: Error) => {
    const remote = await endpoint.page.evaluate(() =>
      [...(window.harness.client()?.remote.values() ?? [])].map(
        (r) => `${r.endpointId}/${r.source}${r.paused ? ' (paused)' : ''}`,
      ),
    );
    throw new Error(`${err.message}; last ${JSON.stringify(last)}; receiving ${remote.join(', ')}`);
  });
  return Date.now() - started;
}
