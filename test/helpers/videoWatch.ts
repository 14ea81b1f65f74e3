import type { BrowserContext, Page } from 'playwright-core';

/*
 * What a site's viewer sees of one remote video: every frame the page presents (the video
 * element's requestVideoFrameCallback), the gaps between them, and the decoder's figures
 * (inbound-rtp: the picture height says which simulcast layer arrives). Times are the page's
 * performance.now(), whose zero is the start of the page's navigation: the first frame's time
 * is "join → first frame" as the technician lives it (page load, signaling, ICE, DTLS, decode).
 */

export interface VideoWindow {
  /** The first frame presented, ms after the page's navigation started. */
  firstFrameMs?: number;
  frames: number;
  seconds: number;
  fps: number;
  /** Gaps longer than 500 ms between presented frames, and the longest gap (ms). */
  freezes: number;
  longestGapMs: number;
  /** The decoder's picture height now (180 / 360 / 720 for the station's three layers). */
  frameHeight?: number;
  framesDecoded?: number;
  packetsLost?: number;
  nackCount?: number;
  pliCount?: number;
}

/**
 * Records every presented frame of the videos named "endpoint/source" (self-contained: it runs
 * as an init script, before the page's own code, so the first frame is never missed).
 */
function installVideoWatch(keys: string[]): void {
  const w = window as unknown as { __watch?: Record<string, number[]> };
  w.__watch ??= {};
  const store = w.__watch;
  const seen = new WeakSet<HTMLVideoElement>();
  const attach = () => {
    for (const key of keys) {
      const [endpointId, src] = key.split('/');
      const el = document.querySelector<HTMLVideoElement>(
        `video[data-endpoint="${endpointId}"][data-source="${src}"]`,
      );
      if (!el || seen.has(el)) continue;
      seen.add(el);
      store[key] ??= [];
      const times = store[key];
      const tick = (now: number) => {
        times.push(now);
        el.requestVideoFrameCallback(tick);
      };
      el.requestVideoFrameCallback(tick);
    }
  };
  setInterval(attach, 20);
}

/** Watches these "endpoint/source" videos from the page's very start (a context init script). */
export function watchFromStart(keys: string[]): (context: BrowserContext) => Promise<void> {
  // tsx names inner functions with a helper (__name) the page does not have: define it first.
  const content = `var __name = (f) => f; (${installVideoWatch.toString()})(${JSON.stringify(keys)});`;
  return async (context) => {
    await context.addInitScript({ content });
  };
}

/** Starts watching on a page already loaded. */
export async function watchVideo(page: Page, endpoint: string, source = 'camera'): Promise<void> {
  await page.evaluate(installVideoWatch, [`${endpoint}/${source}`]);
}

/** Figures of the frames presented in the last `seconds` (all of them when omitted). */
export async function videoWindow(
  page: Page,
  endpoint: string,
  source = 'camera',
  seconds?: number,
): Promise<VideoWindow> {
  return page.evaluate(
    async ([endpointId, src, secs]) => {
      const w = window as unknown as { __watch?: Record<string, number[]> };
      const times = w.__watch?.[`${endpointId}/${src}`] ?? [];
      const now = performance.now();
      const from = secs ? now - secs * 1000 : (times[0] ?? now);
      const inWindow = times.filter((x) => x >= from);
      let freezes = 0;
      let longest = 0;
      let previous = inWindow[0];
      for (const x of inWindow) {
        const gap = x - (previous ?? x);
        if (gap > 500) freezes++;
        longest = Math.max(longest, gap);
        previous = x;
      }
      // The gap from the last frame to now counts too (a picture frozen at the end).
      if (inWindow.length > 0) {
        const tail = now - inWindow[inWindow.length - 1]!;
        if (tail > 500) freezes++;
        longest = Math.max(longest, tail);
      }
      const span = (now - from) / 1000;
      const out: Record<string, number | undefined> = {
        firstFrameMs: times[0] !== undefined ? Math.round(times[0]) : undefined,
        frames: inWindow.length,
        seconds: Math.round(span * 10) / 10,
        fps: span > 0 ? Math.round((inWindow.length / span) * 10) / 10 : 0,
        freezes,
        longestGapMs: Math.round(longest),
      };
      const client = window.harness.client();
      const remote = [...(client?.remote.values() ?? [])].find(
        (r) => r.endpointId === endpointId && r.source === src,
      );
      if (client && remote) {
        const stats = await client.transportStats('recv');
        stats?.forEach((s) => {
          if (s.type === 'inbound-rtp' && s.trackIdentifier === remote.track.id) {
            out.frameHeight = s.frameHeight;
            out.framesDecoded = s.framesDecoded;
            out.packetsLost = s.packetsLost;
            out.nackCount = s.nackCount;
            out.pliCount = s.pliCount;
          }
        });
      }
      return out as unknown as VideoWindow;
    },
    [endpoint, source, seconds ?? 0] as const,
  );
}

/** The path the page's media takes, as the page itself reports it (its receive transport). */
export async function pagePath(page: Page): Promise<string> {
  return page.evaluate(async () => (await window.harness.client()!.mediaPath()).path);
}

/**
 * The steps of a join before media, ms after the page's navigation began: the page and its
 * scripts loaded (on a thin link their bytes dominate), and now (call it once signaling is
 * connected); and the bytes the page's files took over the link.
 */
export async function joinSteps(
  page: Page,
): Promise<{ loadedMs: number; connectedMs: number; pageKB: number }> {
  return page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as
      | PerformanceNavigationTiming
      | undefined;
    let bytes = nav?.transferSize ?? 0;
    for (const r of performance.getEntriesByType('resource') as PerformanceResourceTiming[])
      bytes += r.transferSize;
    return {
      loadedMs: Math.round(nav?.loadEventEnd ?? 0),
      connectedMs: Math.round(performance.now()),
      pageKB: Math.round(bytes / 1000),
    };
  });
}
