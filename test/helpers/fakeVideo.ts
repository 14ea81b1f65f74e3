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
