import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

/* Camera, microphone and speakers: choice (remembered per browser), the stream, a level meter. */

export interface DeviceChoice {
  cameraId: string;
  microphoneId: string;
  speakerId: string;
}

const STORAGE_KEY = 'diemcau.devices';

function loadChoice(): DeviceChoice {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    if (raw) return { cameraId: '', microphoneId: '', speakerId: '', ...JSON.parse(raw) };
  } catch {
    // Nothing remembered.
  }
  return { cameraId: '', microphoneId: '', speakerId: '' };
}

export type DeviceErrorKind = 'denied' | 'notFound' | 'busy' | 'other';

export interface DeviceError {
  kind: DeviceErrorKind;
  message: string;
}

function classify(err: unknown): DeviceError {
  const name = (err as Error)?.name ?? '';
  const message = (err as Error)?.message ?? String(err);
  if (name === 'NotAllowedError' || name === 'SecurityError') return { kind: 'denied', message };
  if (name === 'NotFoundError' || name === 'OverconstrainedError')
    return { kind: 'notFound', message };
  if (name === 'NotReadableError' || name === 'AbortError') return { kind: 'busy', message };
  return { kind: 'other', message };
}

export interface Devices {
  cameras: MediaDeviceInfo[];
  microphones: MediaDeviceInfo[];
  speakers: MediaDeviceInfo[];
  choice: DeviceChoice;
  choose: (patch: Partial<DeviceChoice>) => void;
  stream: MediaStream | undefined;
  video: MediaStreamTrack | undefined;
  audio: MediaStreamTrack | undefined;
  starting: boolean;
  error: DeviceError | undefined;
  start: () => Promise<void>;
  /** Whether this browser can route audio to a chosen output (setSinkId). */
  canPickSpeakers: boolean;
}

export interface UseDevicesOptions {
  video?: boolean | { width: number; height: number };
  audio?: boolean;
  /** Start at once (the page was opened to use them). */
  autoStart?: boolean;
}

export function useDevices(options: UseDevicesOptions = {}): Devices {
  const wantVideo = options.video !== false;
  const wantAudio = options.audio !== false;
  const [all, setAll] = useState<MediaDeviceInfo[]>([]);
  const [choice, setChoice] = useState<DeviceChoice>(loadChoice);
  const [stream, setStream] = useState<MediaStream>();
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<DeviceError>();
  const streamRef = useRef<MediaStream | undefined>(undefined);
  const choiceRef = useRef(choice);
  choiceRef.current = choice;

  const enumerate = useCallback(async () => {
    try {
      setAll(await navigator.mediaDevices.enumerateDevices());
    } catch {
      setAll([]);
    }
  }, []);

  const start = useCallback(async () => {
    const c = choiceRef.current;
    setStarting(true);
    setError(undefined);
    const size = typeof options.video === 'object' ? options.video : { width: 1280, height: 720 };
    const constraints: MediaStreamConstraints = {
      video: wantVideo
        ? {
            ...(c.cameraId ? { deviceId: { exact: c.cameraId } } : {}),
            width: { ideal: size.width },
            height: { ideal: size.height },
            frameRate: { ideal: 30 },
          }
        : false,
      audio: wantAudio
        ? {
            ...(c.microphoneId ? { deviceId: { exact: c.microphoneId } } : {}),
            echoCancellation: true,
            noiseSuppression: true,
            autoGainControl: true,
          }
        : false,
    };
    try {
      let next: MediaStream;
      try {
        next = await navigator.mediaDevices.getUserMedia(constraints);
      } catch (err) {
        // A remembered device may have been unplugged: fall back to the defaults once.
        if (
          (err as Error).name !== 'OverconstrainedError' &&
          (err as Error).name !== 'NotFoundError'
        )
          throw err;
        next = await navigator.mediaDevices.getUserMedia({ video: wantVideo, audio: wantAudio });
      }
      for (const tr of streamRef.current?.getTracks() ?? []) tr.stop();
      streamRef.current = next;
      setStream(next);
      await enumerate();
    } catch (err) {
      setError(classify(err));
    } finally {
      setStarting(false);
    }
  }, [enumerate]);

  useEffect(() => {
    void enumerate();
    navigator.mediaDevices?.addEventListener?.('devicechange', enumerate);
    if (options.autoStart) void start();
    return () => {
      navigator.mediaDevices?.removeEventListener?.('devicechange', enumerate);
      for (const tr of streamRef.current?.getTracks() ?? []) tr.stop();
    };
  }, []);

  const choose = (patch: Partial<DeviceChoice>) => {
    const next = { ...choiceRef.current, ...patch };
    choiceRef.current = next;
    setChoice(next);
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    } catch {
      // Not remembered.
    }
    if ((patch.cameraId !== undefined || patch.microphoneId !== undefined) && streamRef.current)
      void start();
  };

  return {
    cameras: all.filter((d) => d.kind === 'videoinput'),
    microphones: all.filter((d) => d.kind === 'audioinput'),
    speakers: all.filter((d) => d.kind === 'audiooutput'),
    choice,
    choose,
    stream,
    video: stream?.getVideoTracks()[0],
    audio: stream?.getAudioTracks()[0],
    starting,
    error,
    start,
    canPickSpeakers: 'setSinkId' in HTMLMediaElement.prototype,
  };
}

/** Microphone level 0..1 (RMS, scaled for display), sampled ~12 times a second. */
export function useLevel(track: MediaStreamTrack | undefined): number {
  const [level, setLevel] = useState(0);
  useEffect(() => {
    if (!track) {
      setLevel(0);
      return;
    }
    const ctx = new AudioContext();
    const source = ctx.createMediaStreamSource(new MediaStream([track]));
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 1024;
    source.connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    const timer = setInterval(() => {
      analyser.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const v of buf) sum += v * v;
      const rms = Math.sqrt(sum / buf.length);
      setLevel(Math.min(1, rms * 5));
    }, 80);
    void ctx.resume().catch(() => {});
    return () => {
      clearInterval(timer);
      source.disconnect();
      void ctx.close();
    };
  }, [track]);
  return level;
}

/** A one-second 880 Hz beep on the chosen speakers. */
export async function playTestTone(sinkId: string): Promise<void> {
  const ctx = new AudioContext();
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.frequency.value = 880;
  gain.gain.value = 0.2;
  const dest = ctx.createMediaStreamDestination();
  osc.connect(gain).connect(dest);
  const el = new Audio() as HTMLAudioElement & { setSinkId?: (id: string) => Promise<void> };
  el.srcObject = dest.stream;
  if (sinkId && el.setSinkId) await el.setSinkId(sinkId).catch(() => {});
  osc.start();
  await el.play().catch(() => {});
  await new Promise((r) => setTimeout(r, 1000));
  osc.stop();
  el.pause();
  el.srcObject = null;
  await ctx.close();
}
