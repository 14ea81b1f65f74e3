import type { GuardRule, makeGuard } from '../auth/guard.js';
import type { DataServices } from '../DataServices.js';
import type { PdfPrinter } from '../documents/printPdf.js';
import type { MeetingLifecycle } from '../live/LiveMeetings.js';

export interface ApiLimits {
  /** Login attempts per client address per window. Default 10 per 5 minutes. */
  loginMax: number;
  loginWindowMs: number;
  /** Any API request (join-link use included) per client address per window. Default 600/min. */
  requestMax: number;
  requestWindowMs: number;
  /** Largest uploaded document. Default 20 MiB. */
  uploadMaxBytes: number;
}

/** Options every route group receives. */
export interface RouteContext {
  services: DataServices;
  guard: ReturnType<typeof makeGuard>;
  limits: ApiLimits;
  secureCookies: boolean;
  lifecycle: MeetingLifecycle;
  /** Prints the A4 documents to PDF (one at a time). */
  pdf: PdfPrinter;
}

/** OpenAPI security of routes open to IT staff's session or a join link's token. */
export const sessionOrLink: Record<string, string[]>[] = [{ session: [] }, { joinToken: [] }];

/** IT staff, and the chair, station and technician links of the meeting named by `:id`. */
export const meetingPeople: GuardRule = {
  roles: ['admin', 'chair', 'station', 'technician'],
  meetingParam: 'id',
};
