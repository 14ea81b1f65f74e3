import { z } from 'zod';
import { endpointIdSchema } from './endpoints.js';

/*
 * Encoders publishing into a meeting (WHIP, RTMP, SRT: server/ingest/) as the station page and
 * the IT board see them. Browser-safe: pure zod.
 */

/** Where an endpoint's picture and sound come from: its page's devices or its encoder. */
export const feedSourceSchema = z.enum(['page', 'encoder']);
export type FeedSource = z.infer<typeof feedSourceSchema>;

export const ingestViaSchema = z.enum(['whip', 'rtmp', 'srt', 'pull']);
export type IngestViaName = z.infer<typeof ingestViaSchema>;

/**
 * An endpoint's feed when it has an encoder (or chose its page over one): what its page chose,
 * what every receiver gets now (the encoder only while it sends), and the encoder itself.
 */
export const feedSchema = z.object({
  chosen: feedSourceSchema,
  live: feedSourceSchema,
  encoder: z.object({ via: ingestViaSchema, sending: z.boolean() }).optional(),
});
export type Feed = z.infer<typeof feedSchema>;

export const relayStatusSchema = z.enum(['waiting', 'live', 'restarting', 'off']);

/** One WHIP session of a meeting. */
export const whipViewSchema = z.object({
  id: z.string(),
  endpointId: endpointIdSchema,
  via: z.literal('whip'),
  since: z.string(),
  sources: z.array(z.string()),
  /** What the SFU receives from it, audio and video (kbps). */
  kbps: z.number().nonnegative(),
});
export type WhipView = z.infer<typeof whipViewSchema>;

/** One RTMP/SRT stream of a meeting. */
export const streamViewSchema = z.object({
  id: z.string(),
  endpointId: endpointIdSchema,
  protocol: z.enum(['rtmp', 'srt', 'pull']),
  status: relayStatusSchema,
  kbps: z.number().nonnegative(),
  /** copy: the encoder's H.264 forwarded as it is; encode: re-encoded (B-frames, not H.264). */
  mode: z.enum(['copy', 'encode']),
  width: z.number().int().optional(),
  height: z.number().int().optional(),
  codec: z.string().optional(),
  restarts: z.number().int().nonnegative(),
  lastError: z.string().optional(),
});
export type StreamView = z.infer<typeof streamViewSchema>;

/** GET /api/meetings/:id/ingest: the meeting's encoders. */
export const ingestBoardSchema = z.object({
  whip: z.array(whipViewSchema),
  streams: z.array(streamViewSchema),
});
export type IngestBoard = z.infer<typeof ingestBoardSchema>;
