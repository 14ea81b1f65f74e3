import { randomBytes } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { tempDir } from './browser.js';

/**
 * A Y4M clip of moving noise for Chromium's fake camera (--use-file-for-fake-video-capture).
 * The built-in fake camera draws a flat, simple picture that a VP8 encoder codes in a few hundred
 * kbps whatever the target; a real camera's sensor noise fills the target, and so does this.
 */
export function noiseVideo(t: Test, width = 640, height = 360, frames = 30): string {
  const path = join(tempDir(t, 'diemcau-y4m-'), `noise-${width}x${height}.y4m`);
  const fd = openSync(path, 'w');
  writeSync(fd, `YUV4MPEG2 W${width} H${height} F30:1 Ip A1:1 C420jpeg\n`);
  const chroma = Buffer.alloc((width * height) / 2, 128);
  for (let i = 0; i < frames; i++) {
    writeSync(fd, 'FRAME\n');
    const luma = randomBytes(width * height);
    for (let j = 0; j < luma.length; j++) luma[j] = (luma[j]! >> 1) + 64;
    writeSync(fd, luma);
    writeSync(fd, chroma);
  }
  closeSync(fd);
  return path;
}

/**
 * A Y4M clip that looks to a VP8 encoder like a hall camera: a still room (walls, a desk, a
 * banner, fine static texture), a speaker who moves, and a sensor's grain of ±`grain` luma levels
 * that differs every frame. Each simulcast layer then spends about its target at the full frame
 * rate, as a real 720p camera does. noiseVideo's picture is pure noise of ±64 levels: at 720p
 * VP8 cannot fit one frame of it into a 1.2 Mbps budget even at its coarsest quantiser, so its
 * rate control drops all but 1–4 frames a second (qualityLimitationReason stays "none"; the
 * frames are "huge"). It is right for filling a probe, wrong for judging a meeting's layers.
 * The clip loops seamlessly: the speaker's path has a period of `frames`.
 */
export function cameraVideo(
  t: Test,
  width = 1280,
  height = 720,
  opts: { frames?: number; grain?: number } = {},
): string {
  const frames = opts.frames ?? 30;
  const grain = opts.grain ?? 6;
  const path = join(tempDir(t, 'diemcau-y4m-'), `camera-${width}x${height}.y4m`);
  const fd = openSync(path, 'w');
  writeSync(fd, `YUV4MPEG2 W${width} H${height} F30:1 Ip A1:1 C420jpeg\n`);
  // xorshift32: deterministic, fast enough for tens of millions of pixels.
  let x = 0x2545f491;
  const rand = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  // The still room: a lit wall (vertical gradient), panels, a desk, a banner, fine texture.
  const room = new Uint8Array(width * height);
  for (let j = 0; j < height; j++)
    for (let i = 0; i < width; i++) room[j * width + i] = 90 + Math.round((60 * j) / height);
  const box = (x0: number, y0: number, w: number, h: number, luma: number) => {
    for (let j = Math.max(0, y0); j < Math.min(height, y0 + h); j++)
      for (let i = Math.max(0, x0); i < Math.min(width, x0 + w); i++) room[j * width + i] = luma;
  };
  for (let k = 0; k < 24; k++)
    box(
      rand() % width,
      rand() % Math.round(height * 0.6),
      20 + (rand() % Math.round(width / 6)),
      20 + (rand() % Math.round(height / 6)),
      40 + (rand() % 170),
    );
  box(0, Math.round(height * 0.7), width, Math.round(height * 0.3), 70); // the desk
  box(
    Math.round(width * 0.1),
    Math.round(height * 0.05),
    Math.round(width * 0.8),
    Math.round(height * 0.12),
    200,
  ); // the banner
  for (let p = 0; p < room.length; p++)
    room[p] = Math.max(16, Math.min(235, room[p]! + (rand() % 17) - 8));
  const chroma = Buffer.alloc((width * height) / 2, 128);
  const frame = Buffer.alloc(width * height);
  const rx = Math.round(width * 0.08);
  const ry = Math.round(height * 0.25);
  for (let f = 0; f < frames; f++) {
    frame.set(room);
    // The speaker: an ellipse swaying across the middle of the room.
    const cx = Math.round(width * (0.5 + 0.15 * Math.sin((2 * Math.PI * f) / frames)));
    const cy = Math.round(height * 0.5);
    for (let j = cy - ry; j < cy + ry; j++)
      for (let i = cx - rx; i < cx + rx; i++) {
        const dx = (i - cx) / rx;
        const dy = (j - cy) / ry;
        if (dx * dx + dy * dy <= 1) frame[j * width + i] = 150 + Math.round(30 * dy);
      }
    // The sensor's grain, new every frame.
    const span = 2 * grain + 1;
    for (let p = 0; p < frame.length; p++) {
      const v = frame[p]! + (rand() % span) - grain;
      frame[p] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    writeSync(fd, 'FRAME\n');
    writeSync(fd, frame);
    writeSync(fd, chroma);
  }
  closeSync(fd);
  return path;
}
