import { z } from 'zod';
import { actorSchema } from './auth.js';
import { meetingActionSchema } from './meetings.js';
import { mediaSourceSchema, participantSchema, requests, sessionStatusSchema } from './socket.js';

/*
 * The contract between the nodes of one service (server/cluster/ClusterBus.ts): every message
 * name with its payload's schema, like socket.ts for the pages. Events go to every other node;
 * requests go to one node and get an answer. The bus checks each payload against this table when
 * it arrives, so a handler only ever sees a parsed one.
 */

const meetingRef = z.object({ meetingId: z.string().min(1) });

/** The chair's state of a session: saved so a session resumes, and sent from owner to edges. */
export const chairSnapshotSchema = z.object({
  status: sessionStatusSchema,
  startedAt: z.string().optional(),
  agendaIndex: z.int(),
  floorSiteId: z.string().optional(),
  /** siteId → when it raised its hand (epoch ms). */
  hands: z.record(z.string(), z.number()),
  mutedSiteIds: z.array(z.string()),
  itCallSiteId: z.string().optional(),
});
export type ChairSnapshot = z.infer<typeof chairSnapshotSchema>;

/** One producer of an endpoint on another node (ids are the same on every node). */
export const remoteProducerSchema = z.object({ id: z.string().min(1), source: mediaSourceSchema });
export type RemoteProducer = z.infer<typeof remoteProducerSchema>;

/** One endpoint as its own node sees it: what the pages show, and its producers. */
export const rosterEntrySchema = z.object({
  view: participantSchema,
  producers: z.array(remoteProducerSchema),
});
export type RosterEntry = z.infer<typeof rosterEntrySchema>;

/** A node's endpoints of one meeting: changes, or (full) all of them. */
export const rosterSchema = meetingRef.extend({
  entries: z.array(rosterEntrySchema),
  removed: z.array(z.string()),
  full: z.boolean(),
});
export type Roster = z.infer<typeof rosterSchema>;

/** A change the sessions of every node apply (an edit, an end, ended access). */
export const liveEventSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('meetingUpdated'), meetingId: z.string() }),
  z.object({
    kind: z.literal('meetingEnded'),
    meetingId: z.string(),
    to: z.enum(['ended', 'cancelled']),
  }),
  z.object({ kind: z.literal('siteRenamed'), siteId: z.string() }),
  z.object({ kind: z.literal('meetingDeleted'), meetingId: z.string() }),
  z.object({
    kind: z.literal('accessEnded'),
    reason: z.enum(['revoked', 'loggedOut']),
    match: z.union([
      z.object({ linkId: z.string() }),
      z.object({ sessionHash: z.string() }),
      z.object({ userId: z.string() }),
    ]),
  }),
]);
export type LiveEvent = z.infer<typeof liveEventSchema>;

/** One end of a pipe between two hosts: where it listens and its SRTP keys. */
export const pipeEndSchema = z.object({
  ip: z.string().min(1),
  port: z.int().positive(),
  srtpParameters: z.object({ cryptoSuite: z.string(), keyBase64: z.string() }),
});

/** A producer as it crosses a pipe (the sending side's pipe consumer's view of it). */
export const pipedProducerSchema = z.object({
  id: z.string().min(1),
  kind: z.enum(['audio', 'video']),
  rtpParameters: z.looseObject({ codecs: z.array(z.looseObject({})) }),
  paused: z.boolean(),
  appData: z.record(z.string(), z.unknown()),
});

const linkRef = z.object({ linkId: z.string().min(1) });
const producerRef = linkRef.extend({ producerId: z.string().min(1) });
const none = z.object({}).optional();

/** Events: every other node hears them. */
export const busEvents = {
  /** A node's endpoints of a meeting changed. */
  'live.roster': rosterSchema,
  /** A session opened: the meeting's other nodes send their full roster. */
  'live.rosterRequest': meetingRef,
  /** The owner's chair state, taken whole by the edges. */
  'live.chair': meetingRef.extend({ snapshot: chairSnapshotSchema }),
  'live.event': liveEventSchema,
} as const;

/** Requests: to one node, with an answer. */
export const busRequests = {
  /** A site's request on an edge that the owner decides (a raised hand). */
  'live.forward': {
    payload: meetingRef.extend({
      endpointId: z.string().min(1),
      name: z.string().refine((n) => Object.hasOwn(requests, n), 'unknown request'),
      payload: z.unknown(),
    }),
    answer: z.unknown(),
  },
  /** A lifecycle action (end, cancel, go live) for the node that runs the session. */
  'live.perform': {
    payload: z.object({
      id: z.string(),
      action: meetingActionSchema,
      actor: actorSchema,
      expected: z.int().optional(),
    }),
    answer: z.unknown(),
  },
  /**
   * A session of the asking node (`epoch`) wants one of the answering node's producers: it does
   * not hold it now, whatever the answering node believes it sent. Answered once it holds it.
   */
  'cascade.want': {
    payload: meetingRef.extend({ producerId: z.string().min(1), epoch: z.string().min(1) }),
    answer: none,
  },
  /** Opens a pipe into the receiving session `epoch`; answered with the receiver's end. */
  'cascade.open': {
    payload: meetingRef.extend({
      epoch: z.string().min(1),
      linkId: z.string(),
      end: pipeEndSchema,
    }),
    answer: pipeEndSchema,
  },
  'cascade.produce': { payload: linkRef.extend({ producer: pipedProducerSchema }), answer: none },
  'cascade.pause': { payload: producerRef.extend({ paused: z.boolean() }), answer: none },
  'cascade.unproduce': { payload: producerRef, answer: none },
  /** The sender closed a pipe. */
  'cascade.close': { payload: linkRef, answer: none },
  /** The receiver closed its end of a pipe (its session closed). */
  'cascade.dropped': { payload: linkRef, answer: none },
} as const;

export type BusEventName = keyof typeof busEvents;
export type BusEvent<N extends BusEventName> = z.infer<(typeof busEvents)[N]>;
export type BusRequestName = keyof typeof busRequests;
export type BusRequest<N extends BusRequestName> = z.infer<(typeof busRequests)[N]['payload']>;
export type BusAnswer<N extends BusRequestName> = z.infer<(typeof busRequests)[N]['answer']>;
