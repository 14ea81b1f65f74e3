import { z } from 'zod';
import { recordingStateSchema } from './broadcast.js';
import { checkQueueNotifications } from './check/queue.js';
import { checkNotifications, checkRequests } from './check/socket.js';
import { endpointIdSchema, endpointRoleSchema } from './endpoints.js';
import { errorBodySchema } from './errors.js';
import { idSchema, optionalText } from './fields.js';
import { feedSchema, feedSourceSchema } from './ingest.js';
import { dtlsParametersSchema, rtpCapabilitiesSchema, rtpParametersSchema } from './media.js';
import { mediaPathSchema, relayPortSchema } from './mediaPath.js';
import { sipSiteCallStateSchema } from './sip.js';
import { textSchema } from './text.js';

/*
 * The socket.io protocol between the pages and the server. Browser-safe: pure zod.
 * Requests are socket.io events named by a verb, with one payload and an acknowledgement
 * `{ ok: true, data }` or `{ ok: false, error: { code, message } }`.
 * Notifications are events named in the past tense, server → client.
 * Fields are never reused for a new meaning; old ones are deprecated.
 */

/** Record ids (meetings, sites) and mediasoup's ids (UUIDs) follow the one id rule. */
const id = idSchema;

export { type EndpointRole, endpointRoleSchema } from './endpoints.js';

/** What a producer carries; decides who receives it. */
export const mediaSourceSchema = z.enum(['camera', 'microphone', 'screen']);
export type MediaSource = z.infer<typeof mediaSourceSchema>;

export const sessionStatusSchema = z.enum(['waiting', 'live', 'ended']);

export const iceServerSchema = z.object({
  urls: z.union([z.string(), z.array(z.string())]),
  username: z.string().optional(),
  credential: z.string().optional(),
});

export const qualitySchema = z.object({
  /** Overall grade shown as a badge. */
  grade: z.enum(['good', 'fair', 'poor', 'unknown']),
  sendKbps: z.number().nonnegative(),
  recvKbps: z.number().nonnegative(),
  /** Loss of what the server receives from the endpoint, percent. */
  lossUpPercent: z.number().nonnegative(),
  /** Loss the endpoint reports for what it receives, percent. */
  lossDownPercent: z.number().nonnegative(),
  rttMs: z.number().nonnegative().optional(),
  jitterMs: z.number().nonnegative().optional(),
  /** Highest simulcast layer (0..2) this endpoint currently receives of the main video. */
  layer: z.number().int().optional(),
  /** The path its media takes (the page's selected ICE pair): UDP, TCP, TURN/TLS 443… */
  path: mediaPathSchema.optional(),
  relayPort: relayPortSchema.optional(),
  /** The SFU's estimate of what the link to this endpoint carries (transport-cc), kbps. */
  estimateKbps: z.number().nonnegative().optional(),
});
export type Quality = z.infer<typeof qualitySchema>;

export const participantSchema = z.object({
  endpointId: endpointIdSchema,
  role: endpointRoleSchema,
  siteId: id.optional(),
  name: z.string(),
  online: z.boolean(),
  handRaised: z.boolean(),
  /** Microphone paused by the chair (enforced on the server). */
  mutedByChair: z.boolean(),
  /** Microphone paused by the endpoint itself. */
  selfMuted: z.boolean(),
  hasFloor: z.boolean(),
  sources: z.array(mediaSourceSchema),
  quality: qualitySchema.optional(),
  /** Connected by a hall's room system over SIP instead of a page. */
  via: z.literal('sip').optional(),
  /** A site with a hall room system: its SIP call state (shown to the chair and IT). */
  call: sipSiteCallStateSchema.optional(),
  /** Its encoder and which source is live (WHIP, RTMP, SRT), when it has one. */
  feed: feedSchema.optional(),
});
export type Participant = z.infer<typeof participantSchema>;

export const sessionStateSchema = z.object({
  meetingId: id,
  status: sessionStatusSchema,
  startedAt: z.string().optional(),
  agendaIndex: z.number().int().min(-1),
  /** siteId holding the floor. */
  floorSiteId: id.optional(),
  /** Raise-hand queue, oldest first (a site receives only its own entry: liveDataRules). */
  handQueue: z.array(id),
  /** Sent to a site whose hand is up: its place in the queue, 1 = next. */
  handPosition: z.int().min(1).optional(),
  activeSpeakerEndpointId: endpointIdSchema.optional(),
  /** The site in a two-way call with IT staff; going live ends it unless the chair keeps it. */
  itCallSiteId: id.optional(),
});
export type SessionState = z.infer<typeof sessionStateSchema>;

// ---------------------------------------------------------------------------------------------
// Requests: name → payload schema and answer schema.

export const requests = {
  /** First request after connecting: who am I, the session, the router's capabilities. */
  join: {
    payload: z
      .object({ displayName: optionalText({ vi: 'Tên hiển thị', en: 'Display name' }, 120) })
      .default({}),
    answer: z.object({
      endpointId: endpointIdSchema,
      role: endpointRoleSchema,
      siteId: id.optional(),
      routerRtpCapabilities: rtpCapabilitiesSchema,
      iceServers: z.array(iceServerSchema),
      session: sessionStateSchema,
      participants: z.array(participantSchema),
    }),
  },
  /** The device's capabilities; the server then sends newConsumer for what this endpoint should receive. */
  setRtpCapabilities: {
    payload: z.object({ rtpCapabilities: rtpCapabilitiesSchema }),
    answer: z.object({}),
  },
  createTransport: {
    payload: z.object({ direction: z.enum(['send', 'recv']) }),
    answer: z.object({
      transportId: id,
      iceParameters: z.looseObject({}),
      iceCandidates: z.array(z.looseObject({})),
      dtlsParameters: dtlsParametersSchema,
    }),
  },
  connectTransport: {
    payload: z.object({ transportId: id, dtlsParameters: dtlsParametersSchema }),
    answer: z.object({}),
  },
  restartIce: {
    payload: z.object({ transportId: id }),
    answer: z.object({ iceParameters: z.looseObject({}) }),
  },
  produce: {
    payload: z.object({
      transportId: id,
      kind: z.enum(['audio', 'video']),
      rtpParameters: rtpParametersSchema,
      source: mediaSourceSchema,
      paused: z.boolean().optional(),
    }),
    answer: z.object({ producerId: id }),
  },
  closeProducer: { payload: z.object({ producerId: id }), answer: z.object({}) },
  /** Self-mute / unmute of one's own producer; unmuting is refused while the chair has muted the site. */
  pauseProducer: { payload: z.object({ producerId: id }), answer: z.object({}) },
  resumeProducer: { payload: z.object({ producerId: id }), answer: z.object({}) },
  /** Consumers start paused on the server; the client resumes once its track is wired. */
  resumeConsumer: { payload: z.object({ consumerId: id }), answer: z.object({}) },
  /** Which simulcast layer the receiver wants, from the size it shows the video at. */
  setConsumerLayers: {
    payload: z.object({
      consumerId: id,
      spatialLayer: z.number().int().min(0).max(2),
      temporalLayer: z.number().int().min(0).max(2).optional(),
    }),
    answer: z.object({}),
  },
  requestKeyFrame: { payload: z.object({ consumerId: id }), answer: z.object({}) },
  /** Receiver-side figures the server cannot see (loss and jitter of what the page receives). */
  reportStats: {
    payload: z.object({
      recvKbps: z.number().nonnegative().max(1e6),
      lossDownPercent: z.number().min(0).max(100),
      jitterMs: z.number().min(0).max(1e5).optional(),
      rttMs: z.number().min(0).max(1e5).optional(),
      framesDecoded: z.number().int().nonnegative().optional(),
      path: mediaPathSchema.optional(),
      relayPort: relayPortSchema.optional(),
    }),
    answer: z.object({}),
  },
  /**
   * Which of its own sources every receiver gets: the page's devices, or its encoder while that
   * sends (the default). The session, floor and programme go on; receivers move to the new one.
   */
  chooseFeed: { payload: z.object({ source: feedSourceSchema }), answer: feedSchema },
  raiseHand: { payload: z.object({}).default({}), answer: z.object({}) },
  lowerHand: { payload: z.object({}).default({}), answer: z.object({}) },

  // Chair only.
  startSession: {
    /** keepItCall: the chair keeps IT's two-way call running into the session. */
    payload: z.object({ keepItCall: z.boolean().optional() }).default({}),
    answer: sessionStateSchema,
  },
  endSession: {
    payload: z.object({ reason: optionalText({ vi: 'Lý do', en: 'Reason' }, 200) }).default({}),
    answer: z.object({}),
  },
  setAgendaItem: {
    payload: z.object({ index: z.number().int().min(-1).max(200) }),
    answer: sessionStateSchema,
  },
  grantFloor: { payload: z.object({ siteId: id }), answer: sessionStateSchema },
  revokeFloor: { payload: z.object({}).default({}), answer: sessionStateSchema },
  /** Mute one site, or every site when siteId is omitted. */
  muteSite: { payload: z.object({ siteId: id.optional() }), answer: z.object({}) },
  unmuteSite: { payload: z.object({ siteId: id }), answer: z.object({}) },
  dismissHand: { payload: z.object({ siteId: id }), answer: z.object({}) },

  // The connection check and IT's call with a site (protocol/check/index.ts).
  ...checkRequests,
} as const;

export type RequestName = keyof typeof requests;
export type RequestPayload<N extends RequestName> = z.input<(typeof requests)[N]['payload']>;
export type RequestAnswer<N extends RequestName> = z.infer<(typeof requests)[N]['answer']>;
/** A request's payload as the server sees it, once parsed (defaults applied). */
export type RequestData<N extends RequestName> = z.output<(typeof requests)[N]['payload']>;

export const chairOnlyRequests: ReadonlySet<RequestName> = new Set([
  'startSession',
  'endSession',
  'setAgendaItem',
  'grantFloor',
  'revokeFloor',
  'muteSite',
  'unmuteSite',
  'dismissHand',
]);

/** Requests only the IT staff's view may send. */
export const itOnlyRequests: ReadonlySet<RequestName> = new Set([
  'requestCheck',
  'startItCall',
  'endItCall',
]);

export const ackSchema = z.union([
  z.object({ ok: z.literal(true), data: z.unknown() }),
  z.object({ ok: z.literal(false), error: errorBodySchema }),
]);
export type Ack<T = unknown> =
  | { ok: true; data: T }
  | { ok: false; error: z.infer<typeof errorBodySchema> };

// ---------------------------------------------------------------------------------------------
// Notifications: name → payload schema.

export const notifications = {
  newConsumer: z.object({
    consumerId: id,
    producerId: id,
    kind: z.enum(['audio', 'video']),
    rtpParameters: rtpParametersSchema,
    source: mediaSourceSchema,
    /** Whose media it is. */
    endpointId: endpointIdSchema,
    role: endpointRoleSchema,
    siteId: id.optional(),
  }),
  consumerClosed: z.object({ consumerId: id }),
  consumerPaused: z.object({ consumerId: id }),
  consumerResumed: z.object({ consumerId: id }),
  consumerLayersChanged: z.object({ consumerId: id, spatialLayer: z.number().int().nullable() }),
  sessionChanged: sessionStateSchema,
  /** The whole list (the join answer carries it too). */
  participantsChanged: z.object({ participants: z.array(participantSchema) }),
  /** Only what changed since the last message: entries to add or replace, ids to drop. */
  participantsUpdated: z.object({
    participants: z.array(participantSchema),
    removed: z.array(endpointIdSchema).optional(),
  }),
  /** This endpoint's microphone was muted or unmuted by the chair. */
  mutedByChair: z.object({ muted: z.boolean() }),
  floorGranted: z.object({ siteId: id }),
  floorRevoked: z.object({ siteId: id }),
  activeSpeakerChanged: z.object({ endpointId: endpointIdSchema.optional() }),
  /** The media server lost this endpoint's transports (e.g. a worker was replaced): re-create them. */
  mediaRestarted: z.object({ reason: textSchema }),
  /** Another tab took over this endpoint; this connection is closed. */
  replaced: z.object({ reason: textSchema }),
  sessionEnded: z.object({ reason: textSchema }),
  /** This connection's link was revoked, its login ended, or its site removed: do not retry. */
  accessRevoked: z.object({ reason: textSchema }),
  /** The meeting's record changed (agenda, sites, title): read it again. */
  meetingUpdated: z.object({}),
  /** The meeting's programme is being recorded ("Đang ghi hình") or no longer. */
  recordingChanged: recordingStateSchema,
  ...checkNotifications,
  ...checkQueueNotifications,
} as const;

export type NotificationName = keyof typeof notifications;
export type NotificationPayload<N extends NotificationName> = z.infer<(typeof notifications)[N]>;
