import { z } from 'zod';
import { idSchema } from '../fields.js';
import { inAppNotificationSchema } from '../notifications.js';
import { checklistInputSchema, siteReadinessSchema } from '../readiness.js';
import { textSchema } from '../text.js';
import {
  checkResultSchema,
  checkThresholdsSchema,
  clientFiguresSchema,
  uplinkFiguresSchema,
} from './index.js';

/** Meetings, sites and checks follow the one id rule. */
const id = idSchema;

// ---------------------------------------------------------------------------------------------
// Socket messages of the check and of IT's call with a site (merged into protocol/socket.ts)

export const checkRequests = {
  /** Site: start a check; refused outside a check window or an IT request. */
  beginCheck: {
    payload: z.object({}).default({}),
    answer: z.object({
      checkId: id,
      kind: checkResultSchema.shape.kind,
      /** How long to send for the uplink/downlink measurement. */
      measureMs: z.int().positive(),
      /** Send the camera at this bitrate during the check (one encoding, no simulcast). */
      targetKbps: z.int().positive(),
      thresholds: checkThresholdsSchema,
    }),
  },
  /** Site: the server samples what it receives from this site for durationMs and answers. */
  measureUplink: {
    payload: z.object({
      checkId: id,
      durationMs: z.int().min(1000).max(30_000),
      /** The page is forcing its probe rate: kept apart as the bandwidth probe. */
      probe: z.boolean().optional(),
    }),
    answer: uplinkFiguresSchema,
  },
  /**
   * Site, back after its connection dropped during a check: the check (same id) goes on. The
   * server kept it for a short grace period; `drops` counts the page's drops so far.
   */
  resumeCheck: {
    payload: z.object({ checkId: id }),
    answer: z.object({ checkId: id, drops: z.int().min(0) }),
  },
  /** Site: the page's figures; the server adds its uplink figures, judges and stores. */
  submitCheck: {
    payload: z.object({ checkId: id, figures: clientFiguresSchema }),
    answer: z.object({ result: checkResultSchema, readiness: siteReadinessSchema }),
  },
  /** Site: give up a check (page closed the dialog); loopback stops, nothing is stored. */
  abortCheck: { payload: z.object({ checkId: id }), answer: z.object({}) },
  /** Site: the technician confirms the checklist. */
  confirmChecklist: { payload: checklistInputSchema, answer: siteReadinessSchema },
  /** IT: ask one site (or every connected site) to run a check now. */
  requestCheck: {
    payload: z.object({ siteId: id.optional() }).default({}),
    answer: z.object({ requested: z.array(id), offline: z.array(id) }),
  },
  /** IT: two-way call with one site (IT sends and receives with that site only). */
  startItCall: { payload: z.object({ siteId: id }), answer: z.object({ siteId: id }) },
  endItCall: { payload: z.object({}).default({}), answer: z.object({}) },
} as const;

export const checkNotifications = {
  /** Site: run the check now (window opened, re-check, or IT asked). */
  checkRequested: z.object({
    kind: checkResultSchema.shape.kind,
    reason: textSchema,
    /** Re-checks are short. */
    measureMs: z.int().positive().optional(),
  }),
  /** Chair and IT: one site's readiness changed. */
  readinessChanged: siteReadinessSchema,
  /** Everyone: the check window opened or closed. */
  checkWindowChanged: z.object({
    open: z.boolean(),
    kind: z.string(),
    closesAt: z.string().optional(),
  }),
  /** Technician (own site) and IT: a reminder or escalation. */
  notificationAdded: inAppNotificationSchema,
  /** Site and IT: the IT call with this site started or ended. */
  itCallChanged: z.object({ siteId: id.optional() }),
} as const;
