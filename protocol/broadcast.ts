import { z } from 'zod';
import { idSchema } from './fields.js';
import { zodMessage } from './text.js';

/** Recording and live out of a meeting's programme: HTTP bodies and the page notification. Browser-safe. */

export const broadcastSettingsSchema = z.strictObject({
  /** Recording starts by itself when the session goes live. */
  recordWithSession: z.boolean().default(false),
  /** RTMP(S) ingest of a station or platform, e.g. rtmp://tv.local/live/key. */
  rtmpUrl: z
    .url({
      protocol: /^rtmps?$/,
      error: zodMessage({
        vi: 'cần địa chỉ rtmp:// hoặc rtmps://',
        en: 'expected an rtmp:// or rtmps:// URL',
      }),
    })
    .max(1000)
    .optional(),
  /** An HLS stream for viewer links while the live out runs. */
  hls: z.boolean().default(true),
});
export type BroadcastSettings = z.infer<typeof broadcastSettingsSchema>;

export const recordingStateSchema = z.object({
  recording: z.boolean(),
  /** ISO time the recording started. */
  since: z.string().optional(),
});
export type RecordingState = z.infer<typeof recordingStateSchema>;

export const pushStatusSchema = z.enum(['off', 'connecting', 'live', 'retrying']);

export const liveOutStateSchema = z.object({
  on: z.boolean(),
  rtmp: z.object({
    status: pushStatusSchema,
    attempts: z.number().int(),
    lastError: z.string().optional(),
  }),
  hls: z.boolean(),
});

export const recordingSegmentSchema = z.object({
  file: z.string(),
  bytes: z.number().int(),
  startedAt: z.string(),
  /** Absent while the segment is being written. */
  durationMs: z.number().int().optional(),
  /** Never closed by its composer (a crash, a stuck muxer): it plays to its last fragment. */
  cut: z.boolean().optional(),
});

export const broadcastStatusSchema = z.object({
  settings: broadcastSettingsSchema,
  /** Is the meeting's session open (recording and live out need it). */
  sessionOpen: z.boolean(),
  recording: recordingStateSchema,
  liveOut: liveOutStateSchema,
  encoder: z.object({ running: z.boolean(), restarts: z.number().int() }),
  segments: z.array(recordingSegmentSchema),
});
export type BroadcastStatus = z.infer<typeof broadcastStatusSchema>;

// The meeting id is joined into a folder path: the one id rule, never a free string (`..%2F`).
export const segmentParamsSchema = z.object({
  id: idSchema,
  file: z.string().regex(/^[A-Za-z0-9_-]+\.mp4$/, {
    error: zodMessage({ vi: 'tên tệp không hợp lệ', en: 'invalid file name' }),
  }),
});

export const hlsParamsSchema = z.object({
  id: idSchema,
  file: z.string().regex(/^(index\.m3u8|seg\d{5}(-\d{5})?\.ts)$/, {
    error: zodMessage({ vi: 'không phải tệp HLS', en: 'not an HLS file' }),
  }),
});
