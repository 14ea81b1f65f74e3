import { z } from 'zod';

/** A meeting's SIP address: what a hall's room system dials to join it. */
export const meetingSipAddressSchema = z.object({
  /** Digits a remote's keypad can type. */
  number: z.string(),
  /** sip:<number>@<SIP domain> */
  uri: z.string(),
});
export type MeetingSipAddress = z.infer<typeof meetingSipAddressSchema>;

export const sipCallStates = ['answering', 'connected', 'held', 'ended'] as const;

/** One room system's call as IT's board shows it. */
export const sipCallSchema = z.object({
  callId: z.string(),
  meetingId: z.string(),
  siteId: z.string(),
  state: z.enum(sipCallStates),
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
