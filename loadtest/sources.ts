import { RTCAudioSource, RTCVideoSource } from './wrtc.js';

export interface SyntheticSource {
  track: MediaStreamTrack;
  stop(): void;
}

/**
 * A camera stand-in: I420 frames of a moving gradient with a noisy band, so the encoder has
 * real work and every layer carries a realistic bitrate. Frames are precomputed and cycled.
 * `stamp`, when given, draws into each frame just before it goes to the encoder (a frame code
 * for glass-to-glass delay).
 */
export function syntheticCamera(
  width: number,
  height: number,
  fps: number,
  stamp?: (data: Uint8Array, width: number, height: number) => void,
): SyntheticSource {
  const source = new RTCVideoSource();
  const track = source.createTrack();
  const ySize = width * height;
  const frames: Uint8Array[] = [];
  const count = Math.max(1, fps);
  for (let f = 0; f < count; f++) {
    const data = new Uint8Array((ySize * 3) / 2);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const noisy = y > height / 3 && y < height / 2;
        data[y * width + x] = noisy
          ? (Math.random() * 255) | 0
          : ((x + y + f * 8) * 255) / (width + height) + 20;
      }
    }
    data.fill(128, ySize);
    frames.push(data);
  }
  let i = 0;
  const timer = setInterval(() => {
    const data = frames[i++ % frames.length]!;
    stamp?.(data, width, height);
    source.onFrame({ width, height, data });
  }, 1000 / fps);
  return {
    track,
    stop: () => {
      clearInterval(timer);
      track.stop();
    },
  };
}

/** A microphone stand-in: a quiet 440 Hz tone in 10 ms frames at 48 kHz, mono. */
export function syntheticMicrophone(): SyntheticSource {
  const source = new RTCAudioSource();
  const track = source.createTrack();
  const sampleRate = 48_000;
  const samples = new Int16Array(sampleRate / 100);
  let phase = 0;
  const timer = setInterval(() => {
    for (let n = 0; n < samples.length; n++) {
      samples[n] = Math.round(Math.sin(phase) * 3000);
      phase += (2 * Math.PI * 440) / sampleRate;
    }
    source.onData({ samples, sampleRate });
  }, 10);
  return {
    track,
    stop: () => {
      clearInterval(timer);
      track.stop();
    },
  };
}
