/**
 * A 16-bit frame number drawn into the luma of an I420 picture and read back after encoding,
 * the server and decoding (glass-to-glass delay). A row of blocks across the top eighth of the
 * picture, each black or white, sized as a share of the width so any simulcast layer reads it;
 * a block is read as the mean of its middle, so VP8's ringing at the edges does not matter.
 */
export const FRAME_CODE_BITS = 16;
const BLACK = 16;
const WHITE = 235;
/** Blocks with a margin of one block on each side. */
const SLOTS = FRAME_CODE_BITS + 2;

export function drawFrameCode(data: Uint8Array, width: number, height: number, n: number): void {
  const bandHeight = Math.floor(height / 8);
  for (let bit = 0; bit < FRAME_CODE_BITS; bit++) {
    const value = (n >> (FRAME_CODE_BITS - 1 - bit)) & 1 ? WHITE : BLACK;
    const x0 = Math.floor(((bit + 1) * width) / SLOTS);
    const x1 = Math.floor(((bit + 2) * width) / SLOTS);
    for (let y = 0; y < bandHeight; y++) data.fill(value, y * width + x0, y * width + x1);
  }
}

/** The number drawn in a decoded picture (luma plane first, row stride = width). */
export function readFrameCode(data: Uint8Array, width: number, height: number): number {
  const cy = Math.floor(height / 16);
  const r = Math.max(1, Math.floor(Math.min(width / SLOTS, height / 8) / 4));
  let n = 0;
  for (let bit = 0; bit < FRAME_CODE_BITS; bit++) {
    const cx = Math.floor(((bit + 1.5) * width) / SLOTS);
    let sum = 0;
    let count = 0;
    for (let y = cy - r; y <= cy + r; y++)
      for (let x = cx - r; x <= cx + r; x++) {
        sum += data[y * width + x]!;
        count++;
      }
    n = (n << 1) | (sum / count > (BLACK + WHITE) / 2 ? 1 : 0);
  }
  return n;
}
