import type { Browser, Page } from 'playwright-core';
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
    camera?: boolean | { width: number; height: number };
    microphone?: boolean;
  },
): Promise<HarnessEndpoint> {
  const { page, context } = await openPage(browser, `${baseUrl}/harness.html`, name);
  await page.waitForSelector('body[data-ready="true"]');
  await page.evaluate((o) => window.harness.start(o), opts);
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
    request: (req, payload = {}) =>
      page.evaluate(([r, p]) => window.harness.client()!.request(r as never, p as never), [
        req,
        payload,
      ] as const),
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
  await waitFor(
    async () => {
      const r = await endpoint.received(from, source);
      if (!r.present) return false;
      first ??= r[metric];
      return r[metric] > first + (source === 'microphone' ? 10 : 3);
    },
    timeoutMs,
    `${endpoint.name} receiving ${source} from ${from}`,
    100,
  );
  return Date.now() - started;
}
