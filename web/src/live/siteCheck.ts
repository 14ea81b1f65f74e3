import type { CheckResult, SiteReadiness } from '../../../signaling/protocol/check.js';
import type { MeetingClient } from '../../client/MeetingClient.js';
import { ApiError } from '../api.js';

/*
 * Adapter between the technician's page and the browser side of the connection check
 * (web/client/ConnectionCheck.ts, from the checks issue). The page shows these steps.
 */

export const siteCheckSteps = [
  'signaling',
  'transport',
  'uplink',
  'downlink',
  'devices',
  'speakers',
  'verdict',
] as const;
export type SiteCheckStep = (typeof siteCheckSteps)[number];

export interface SiteCheckOptions {
  client: MeetingClient;
  video?: MediaStreamTrack;
  audio?: MediaStreamTrack;
  speakerId: string;
  kind?: string;
  onStep: (step: SiteCheckStep) => void;
  /** Plays the tone and asks the technician whether they heard it. */
  confirmSpeakers: () => Promise<boolean>;
}

export async function runSiteCheck(
  _options: SiteCheckOptions,
): Promise<{ result: CheckResult; readiness: SiteReadiness }> {
  throw new ApiError('unavailable', 'ConnectionCheck is not available yet');
}
