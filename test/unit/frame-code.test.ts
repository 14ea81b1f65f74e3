import t from 'tap';
import { drawFrameCode, readFrameCode } from '../../loadtest/frameCode.js';

/** A gradient picture, as the synthetic camera's, so the code is read against a busy background. */
function picture(width: number, height: number): Uint8Array {
  const data = new Uint8Array((width * height * 3) / 2).fill(128);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data[y * width + x] = ((x + y) * 255) / (width + height);
  return data;
}

/** Nearest-neighbour downscale of the luma plane (what a lower simulcast layer carries). */
function downscale(data: Uint8Array, width: number, height: number, by: number): Uint8Array {
  const w = width / by;
  const h = height / by;
  const out = new Uint8Array((w * h * 3) / 2).fill(128);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) out[y * w + x] = data[y * by * width + x * by]!;
  return out;
}

t.test(
  'a frame number drawn into a picture reads back, at full size and at a quarter',
  async (t) => {
    for (const n of [0, 1, 0x8000, 0xabcd, 0xffff, 12345]) {
      const data = picture(1280, 720);
      drawFrameCode(data, 1280, 720, n);
      t.equal(readFrameCode(data, 1280, 720), n);
      t.equal(readFrameCode(downscale(data, 1280, 720, 4), 320, 180), n);
    }
  },
);
