import type { Config } from '../config/index.js';
import type { MediaLogger } from '../media/MediaLogger.js';

/**
 * What the composer's supervisor (ProgrammeEncoder) is told and tells: its inputs, outputs,
 * events and options, and the segment names it writes.
 */
export type ProgrammeSettings = Config['broadcast'];

/** One RTP stream the composer reads from a local UDP port. */
export interface EncoderInput {
  /** The mediasoup producer id it carries. */
  id: string;
  kind: 'audio' | 'video';
  port: number;
  payloadType: number;
  /** VP8, VP9, H264 or opus. */
  codec: string;
  clockRate: number;
}

/**
 * One output of the programme, added and removed while the composer runs (a branch of its
 * encoders' tees). `id` is the owner's, unique for the composer's life.
 */
export type ProgrammeOutput =
  /**
   * MP4 segments `<dir>/<stem>-RRRRRR-SSS.mp4`: `run` numbers the recordings of a meeting (never
   * reused), SSS its segments from `startIndex` (a restarted composer continues the count).
   */
  | { id: string; kind: 'record'; dir: string; stem: string; run: number; startIndex: number }
  /** MPEG-TS over local UDP (H.264 byte-stream with SPS/PPS at each keyframe + AAC). */
  | { id: string; kind: 'mpegts'; port: number }
  /** HLS playlist and segments written to this folder. */
  | { id: string; kind: 'hls'; dir: string };

export interface SegmentInfo {
  path: string;
  /** Epoch ms at which the segment's first frame was captured (from the pipeline clock). */
  startedAt: number;
  durationMs: number;
}

export interface ProgrammeEncoderEvents {
  /** The composer plays (first start or a restart); `restarts` counts the crashes so far. */
  started: [{ pid: number; restarts: number }];
  /** The composer decodes this input now: time to ask its producer for a keyframe. */
  inputAdded: [inputId: string];
  segmentOpened: [path: string];
  segmentClosed: [SegmentInfo];
  /**
   * A segment its composer never closed (it died, or its muxer stuck and was dropped): it plays
   * up to its last whole fragment.
   */
  segmentCut: [{ path: string; startedAt: number }];
  /** The picture on screen changed (`id` undefined: the still card). */
  displayed: [{ id?: string; wanted?: string; atMs: number }];
  /** An output finished (its files are closed) and left the composer. */
  outputRemoved: [id: string];
  /** The composer stopped unexpectedly; a restart is scheduled. */
  crashed: [{ code: number | null; signal: string | null; message?: string }];
  closed: [];
}

export interface ProgrammeEncoderOptions {
  settings: ProgrammeSettings;
  logger: MediaLogger;
  /** The compact strip at the top (the meeting's name). */
  strip?: string;
  /** The lower third: up to two lines (agenda item, speaker). */
  lower?: string;
  /** First restart delay (ms); doubles up to 10 s while crashes follow each other. */
  restartDelayMs?: number;
  /**
   * A playing composer silent this long (no heartbeat), or whose encoder made no frame this
   * long while an output is fed, is killed and restarted.
   */
  stallMs?: number;
  /** An output not finished this long after its stop: the composer is killed (and restarted). */
  stopTimeoutMs?: number;
}

/** The run and segment numbers in a segment's name (`<stem>-RRRRRR-SSS.mp4`). */
export function segmentNumbers(path: string): { run: number; index: number } | undefined {
  const match = /-(\d{6})-(\d{3})\.mp4$/.exec(path);
  return match ? { run: Number(match[1]), index: Number(match[2]) } : undefined;
}
