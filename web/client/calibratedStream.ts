/*
 * The check's calibrated sender: the technician's camera with moving noise mixed in, so the
 * encoder spends the whole bitrate it is given whatever the room looks like (a still hall
 * would let VP8 send a fraction of it, and the check would measure the picture, not the link).
 * The picture stays recognisable: the loopback still shows the real camera. Frames are driven by
 * the camera itself (insertable streams), not by timers, which a background tab slows to 1 Hz.
 */

/** Share of noise mixed over the camera: enough that VP8 cannot compress it away. */
const NOISE_ALPHA = 0.14;

export interface CalibratedStream {
  track: MediaStreamTrack;
  /** false: this browser has no insertable streams; the camera is sent as it is. */
  calibrated: boolean;
  stop(): void;
}

// Chromium's insertable streams for raw video (not in TypeScript's DOM library yet).
declare const MediaStreamTrackProcessor:
  | (new (init: {
      track: MediaStreamTrack;
    }) => { readable: ReadableStream<VideoFrame> })
  | undefined;
declare const MediaStreamTrackGenerator:
  | (new (init: {
      kind: 'video';
    }) => MediaStreamTrack & { writable: WritableStream<VideoFrame> })
  | undefined;

export function calibratedStream(camera: MediaStreamTrack): CalibratedStream {
  if (
    typeof MediaStreamTrackProcessor === 'undefined' ||
    typeof MediaStreamTrackGenerator === 'undefined' ||
    typeof OffscreenCanvas === 'undefined'
  )
    return { track: camera, calibrated: false, stop() {} };
  const settings = camera.getSettings();
  const w = settings.width ?? 640;
  const h = settings.height ?? 360;
  // 360p: VP8 at its finest quantiser cannot spend 1.9 Mbps on a smaller noisy picture, and a
  // larger one costs an old computer more CPU than the link test is worth (a 720p camera on a
  // starved PC then stalls the whole page).
  const width = Math.max(2, Math.round((w * (360 / h)) / 2) * 2);
  const height = 360;

  // One noise tile, drawn at a new random offset each frame: every frame differs everywhere.
  const noise = new OffscreenCanvas(width, height);
  const nctx = noise.getContext('2d');
  if (nctx) {
    const img = nctx.createImageData(width, height);
    const words = new Uint32Array(img.data.buffer);
    let x = 0x9e3779b9;
    for (let i = 0; i < words.length; i++) {
      // xorshift32: fast, and enough to defeat the encoder's prediction.
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[i] = (x >>> 0) | 0xff000000;
    }
    nctx.putImageData(img, 0, 0);
  }
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d');

  const source = camera.clone();
  const processor = new MediaStreamTrackProcessor({ track: source });
  const generator = new MediaStreamTrackGenerator({ kind: 'video' });
  const reader = processor.readable.getReader();
  const writer = generator.writable.getWriter();
  let stopped = false;
  void (async () => {
    try {
      while (!stopped) {
        const { value: frame, done } = await reader.read();
        if (done || !frame) break;
        if (!ctx) {
          await writer.write(frame);
          continue;
        }
        const timestamp = frame.timestamp;
        ctx.globalAlpha = 1;
        ctx.drawImage(frame, 0, 0, width, height);
        frame.close();
        ctx.globalAlpha = NOISE_ALPHA;
        const dx = Math.floor(Math.random() * width);
        const dy = Math.floor(Math.random() * height);
        // The tile at (dx, dy), wrapped: four pieces cover the frame.
        ctx.drawImage(noise, -dx, -dy);
        ctx.drawImage(noise, width - dx, -dy);
        ctx.drawImage(noise, -dx, height - dy);
        ctx.drawImage(noise, width - dx, height - dy);
        await writer.write(new VideoFrame(canvas, { timestamp }));
      }
    } catch {
      // The track was stopped while a frame was in flight: nothing to do.
    }
  })();
  return {
    track: generator,
    calibrated: true,
    stop() {
      stopped = true;
      source.stop();
      generator.stop();
      void reader.cancel().catch(() => {});
    },
  };
}
