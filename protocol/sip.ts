import { z } from 'zod';

/** A meeting's SIP address: what a hall's room system dials to join it. */
export const meetingSipAddressSchema = z.object({
  /** Digits a remote's keypad can type. */
  number: z.string(),
  /** sip:<number>@<SIP domain> */
  uri: z.string(),
});
export type MeetingSipAddress = z.infer<typeof meetingSipAddressSchema>;

/** calling: the service dials the room; answering: the room's call is being answered. */
export const sipCallStates = ['calling', 'answering', 'connected', 'held', 'ended'] as const;

/** One room system's call as IT's board shows it. */
export const sipCallSchema = z.object({
  callId: z.string(),
  meetingId: z.string(),
  siteId: z.string(),
  state: z.enum(sipCallStates),
  /** in: the room dialled the meeting; out: the service called the room. */
  direction: z.enum(['in', 'out']),
  startedAt: z.string(),
  /** Where its SIP came from (address:port). */
  remote: z.string(),
  media: z.array(
    z.object({
      kind: z.string(),
      /** Our RTP port for it (RTCP on the next one unless muxed). */
      port: z.number(),
      packetsIn: z.number(),
      packetsOut: z.number(),
      ssrc: z.number().optional(),
    }),
  ),
});
export type SipCallView = z.infer<typeof sipCallSchema>;

/**
 * A SIP site's call as IT watches it: calling (our INVITE or the room's is being answered),
 * in a call, on hold (the room held it), dropped (the call ended or failed and the service has not
 * got it back yet, or gave up), not called (the session has not started, or the room joins by
 * dialling in and has not).
 */
export const sipSiteCallStates = [
  'not_called',
  'calling',
  'in_call',
  'on_hold',
  'dropped',
] as const;
export const sipSiteCallStateSchema = z.enum(sipSiteCallStates);
export type SipSiteCallState = z.infer<typeof sipSiteCallStateSchema>;

export const sipSiteCallLabels: Readonly<Record<SipSiteCallState, { vi: string; en: string }>> = {
  not_called: { vi: 'Chưa gọi', en: 'Not called' },
  calling: { vi: 'Đang gọi', en: 'Calling' },
  in_call: { vi: 'Đang trong cuộc gọi', en: 'In call' },
  on_hold: { vi: 'Đang giữ máy', en: 'On hold' },
  dropped: { vi: 'Cuộc gọi bị rớt', en: 'Dropped' },
};

/** One SIP site of a meeting: its call state and, for a room the service dials, the attempts. */
export const sipSiteCallSchema = z.object({
  siteId: z.string(),
  state: sipSiteCallStateSchema,
  /** The service dials this room (it has a dial-out address). */
  dialOut: z.boolean(),
  /** Calls placed to it since its last call that held. */
  attempts: z.int().min(0),
  /** When the next call goes out, while dropped. */
  nextAttemptAt: z.string().optional(),
  /** Why the last call ended or failed (SIP status or reason), while dropped. */
  lastError: z.string().optional(),
  since: z.string(),
});
export type SipSiteCall = z.infer<typeof sipSiteCallSchema>;
