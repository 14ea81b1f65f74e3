import type { HarnessEndpoint } from './endpoints.js';

export type Rgb = [number, number, number];

/**
 * The mean colour of the centre of what a page decodes from one endpoint's source, and the
 * picture's size; undefined until a frame is shown.
 */
export async function decodedColour(
  ep: HarnessEndpoint,
  endpointId: string,
  source: string,
): Promise<{ rgb: Rgb; width: number; height: number } | undefined> {
  const found = await ep.page.evaluate(
    async ([endpointId, source]) => {
      const remote = [...(window.harness.client()?.remote.values() ?? [])].find(
        (r) => r.endpointId === endpointId && r.source === source,
      );
      if (!remote) return null;
      const w = window as unknown as { probeVideos?: Map<string, HTMLVideoElement> };
      w.probeVideos ??= new Map();
      let video = w.probeVideos.get(remote.consumerId);
      if (!video) {
        video = document.createElement('video');
        video.muted = true;
        video.srcObject = new MediaStream([remote.track]);
        w.probeVideos.set(remote.consumerId, video);
        await video.play().catch(() => {});
      }
      if (!video.videoWidth) return null;
      const canvas = document.createElement('canvas');
      canvas.width = 16;
      canvas.height = 16;
      const g = canvas.getContext('2d')!;
      g.drawImage(video, 0, 0, 16, 16);
      const d = g.getImageData(4, 4, 8, 8).data;
      const sum = [0, 0, 0];
      for (let i = 0; i < d.length; i += 4) for (let c = 0; c < 3; c++) sum[c]! += d[i + c]!;
      const n = d.length / 4;
      return {
        rgb: sum.map((s) => Math.round(s / n)) as [number, number, number],
        width: video.videoWidth,
        height: video.videoHeight,
      };
    },
    [endpointId, source] as const,
  );
  return found ?? undefined;
}

/** Roughly this colour (video coding moves each channel a little). */
export function near(rgb: Rgb, hex: string, tolerance = 40): boolean {
  const want = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  return rgb.every((v, i) => Math.abs(v - want[i]!) <= tolerance);
}
