/*
 * The connection check's device side: the microphone's level and the camera's brightness while
 * measuring, and the test tone for the speakers.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Samples the microphone level (WebAudio) and the camera brightness (canvas) while measuring. */
export function watchDevices(camera: MediaStreamTrack, microphone: MediaStreamTrack) {
  let micLevel = 0;
  let lumaSum = 0;
  let lumaCount = 0;
  const audio = new AudioContext();
  void audio.resume().catch(() => {});
  const analyser = audio.createAnalyser();
  analyser.fftSize = 2048;
  audio.createMediaStreamSource(new MediaStream([microphone])).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = new MediaStream([camera]);
  void video.play().catch(() => {});
  const canvas = document.createElement('canvas');
  canvas.width = 64;
  canvas.height = 36;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const x of samples) sum += x * x;
    micLevel = Math.max(micLevel, Math.sqrt(sum / samples.length));
    if (ctx && video.readyState >= 2) {
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      let luma = 0;
      for (let i = 0; i < data.length; i += 4)
        luma += 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
      lumaSum += luma / (data.length / 4);
      lumaCount++;
    }
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      void audio.close().catch(() => {});
      video.srcObject = null;
      return {
        micLevel: Math.min(1, Math.round(micLevel * 1000) / 1000),
        cameraLuma: lumaCount > 0 ? Math.round(lumaSum / lumaCount) : 0,
      };
    },
  };
}

/** A one-second 440 Hz tone on the default output, for the speaker test. */
export async function playTone(durationMs = 1000): Promise<void> {
  const audio = new AudioContext();
  await audio.resume().catch(() => {});
  const osc = audio.createOscillator();
  const gain = audio.createGain();
  osc.frequency.value = 440;
  gain.gain.value = 0.2;
  osc.connect(gain).connect(audio.destination);
  osc.start();
  await sleep(durationMs);
  osc.stop();
  await audio.close().catch(() => {});
}
