import { z } from 'zod';

/*
 * mediasoup's parameter shapes, bounded before they reach the worker: a value the worker would
 * reject (or worse, accept and relay to every receiver) is a client mistake answered with
 * bad_request naming the field, never a server fault. Objects stay loose (mediasoup and browsers
 * add fields over time); every field the worker reads is bounded. Browser-safe: pure zod.
 */

/** RTP payload types are 7 bits (RFC 3550). */
const payloadType = z.int().min(0).max(127);
/** SSRCs are 32-bit unsigned. */
const ssrc = z.int().min(0).max(0xffff_ffff);
/** audio/opus, video/VP8, video/rtx, video/H264…: a kind and a codec name, nothing path-like. */
const mimeType = z
  .string()
  .max(64)
  .regex(/^(audio|video)\/[A-Za-z0-9][A-Za-z0-9_.+-]{0,47}$/, {
    error: 'expected audio/<codec> or video/<codec>',
  });
/** One-byte (1–14) or two-byte (1–255) RTP header extension ids (RFC 8285). */
const headerExtensionId = z.int().min(1).max(255);
const uri = z.string().min(1).max(256);
const shortName = z.string().max(64);
const codecParameters = z
  .record(z.string().max(64), z.union([z.string().max(256), z.number().finite()]))
  .refine((p) => Object.keys(p).length <= 32, { error: 'at most 32 parameters' });
const rtcpFeedback = z
  .array(z.looseObject({ type: shortName, parameter: shortName.optional() }))
  .max(32);

/** W3C webrtc-svc modes mediasoup understands (L = SVC, S = simulcast layers). */
export const scalabilityModes: readonly string[] = (() => {
  const modes: string[] = [];
  for (const s of [1, 2, 3])
    for (const t of [1, 2, 3]) {
      modes.push(`L${s}T${t}`, `S${s}T${t}`);
      if (s > 1) modes.push(`L${s}T${t}_KEY`, `L${s}T${t}_KEY_SHIFT`, `L${s}T${t}h`, `S${s}T${t}h`);
    }
  return modes;
})();
const scalabilityMode = z
  .string()
  .max(16)
  .refine((m) => scalabilityModes.includes(m), { error: 'unknown scalability mode' });

const codecSchema = z.looseObject({
  mimeType,
  payloadType,
  clockRate: z.int().min(1).max(1_000_000).optional(),
  channels: z.int().min(1).max(8).optional(),
  parameters: codecParameters.optional(),
  rtcpFeedback: rtcpFeedback.optional(),
});

const encodingSchema = z
  .looseObject({
    ssrc: ssrc.optional(),
    rid: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,16}$/)
      .optional(),
    codecPayloadType: payloadType.optional(),
    rtx: z.looseObject({ ssrc }).optional(),
    dtx: z.boolean().optional(),
    scalabilityMode: scalabilityMode.optional(),
    scaleResolutionDownBy: z.number().min(1).max(64).optional(),
    maxBitrate: z.int().min(0).max(100_000_000).optional(),
    maxFramerate: z.number().min(0).max(240).optional(),
    active: z.boolean().optional(),
  })
  .refine((e) => e.rtx === undefined || e.ssrc === undefined || e.rtx.ssrc !== e.ssrc, {
    error: 'the RTX ssrc must differ from the media ssrc',
    path: ['rtx', 'ssrc'],
  });

export const dtlsParametersSchema = z.looseObject({
  role: z.enum(['auto', 'client', 'server']).optional(),
  fingerprints: z
    .array(
      z.object({
        algorithm: z.string().max(32),
        value: z
          .string()
          .max(256)
          .regex(/^[0-9A-Fa-f:]*$/),
      }),
    )
    .min(1)
    .max(8),
});

export const rtpParametersSchema = z.looseObject({
  mid: z
    .string()
    .regex(/^[A-Za-z0-9_-]{0,32}$/)
    .optional(),
  codecs: z.array(codecSchema).min(1).max(32),
  encodings: z.array(encodingSchema).max(8).optional(),
  headerExtensions: z
    .array(
      z.looseObject({
        uri,
        id: headerExtensionId,
        encrypt: z.boolean().optional(),
        parameters: codecParameters.optional(),
      }),
    )
    .max(32)
    .optional(),
  rtcp: z
    .looseObject({
      /** RTCP SDES items are at most 255 bytes (RFC 3550 §6.5); relayed to every receiver. */
      cname: z.string().max(255).optional(),
      reducedSize: z.boolean().optional(),
      mux: z.boolean().optional(),
    })
    .optional(),
});

export const rtpCapabilitiesSchema = z.looseObject({
  codecs: z
    .array(
      z.looseObject({
        kind: z.enum(['audio', 'video']).optional(),
        mimeType,
        preferredPayloadType: payloadType.optional(),
        clockRate: z.int().min(1).max(1_000_000).optional(),
        channels: z.int().min(1).max(8).optional(),
        parameters: codecParameters.optional(),
        rtcpFeedback: rtcpFeedback.optional(),
      }),
    )
    .max(64)
    .optional(),
  headerExtensions: z
    .array(
      z.looseObject({
        kind: z.enum(['audio', 'video']).optional(),
        uri,
        preferredId: headerExtensionId,
        preferredEncrypt: z.boolean().optional(),
        direction: z.enum(['sendrecv', 'sendonly', 'recvonly', 'inactive']).optional(),
      }),
    )
    .max(64)
    .optional(),
});
