/** Every Redis key the app uses, in one place; KEYS.md documents the layout. */
export class Keys {
  constructor(readonly prefix: string) {}

  site(id: string): string {
    return `${this.prefix}site:${id}`;
  }
  /** ZSET of site ids, scored by creation time. */
  get sites(): string {
    return `${this.prefix}sites`;
  }
  /** Site id by normalized name: names are unique in a department's directory. */
  siteName(name: string): string {
    return `${this.prefix}site-name:${name.normalize('NFC').toLocaleLowerCase('vi')}`;
  }
  /** SET of ids of the meetings a site takes part in (main or participating). */
  siteMeetings(siteId: string): string {
    return `${this.prefix}site:${siteId}:meetings`;
  }

  meeting(id: string): string {
    return `${this.prefix}meeting:${id}`;
  }
  /** ZSET of meeting ids, scored by opening time (ms). */
  get meetings(): string {
    return `${this.prefix}meetings`;
  }
  /** Counter bumped by every meeting write: one WATCH key makes the site-overlap check atomic. */
  get meetingsRev(): string {
    return `${this.prefix}meetings:rev`;
  }
  meetingAudit(id: string): string {
    return `${this.prefix}meeting:${id}:audit`;
  }
  /** The live session's chair state (status, agenda item, floor, hands, mutes), JSON. */
  meetingLive(id: string): string {
    return `${this.prefix}meeting:${id}:live`;
  }
  /** Which node owns the meeting's live session: JSON lease {token, nodeId, url}, with a PX TTL. */
  meetingOwner(id: string): string {
    return `${this.prefix}meeting:${id}:owner`;
  }
  /** Fencing counter of the meeting's leases: each new owner gets a larger token. */
  meetingFence(id: string): string {
    return `${this.prefix}meeting:${id}:fence`;
  }
  /** HASH siteId → node id: where each site of a cascaded meeting connects. */
  meetingSiteNodes(id: string): string {
    return `${this.prefix}meeting:${id}:site-nodes`;
  }
  /** A meeting's SIP number (what a hall's room system dials: <number>@<SIP domain>). */
  meetingSipNumber(id: string): string {
    return `${this.prefix}meeting:${id}:sip-number`;
  }
  /** The meeting a SIP number stands for. */
  sipNumber(n: string): string {
    return `${this.prefix}sip-number:${n}`;
  }
  /** Counter the SIP numbers are drawn from. */
  get sipNumbers(): string {
    return `${this.prefix}sip-numbers`;
  }
  /** One node's record (URL, media address, load), with a TTL refreshed by its heartbeat. */
  clusterNode(id: string): string {
    return `${this.prefix}node:${id}`;
  }
  /** SET of node ids (an id whose record expired is pruned by readers). */
  get clusterNodes(): string {
    return `${this.prefix}nodes`;
  }
  /** SET of join-link ids of a meeting. */
  meetingLinks(id: string): string {
    return `${this.prefix}meeting:${id}:links`;
  }

  link(id: string): string {
    return `${this.prefix}link:${id}`;
  }
  /** Link id by SHA-256 (hex) of the token; the token itself is never stored. */
  linkHash(sha256hex: string): string {
    return `${this.prefix}link-hash:${sha256hex}`;
  }

  user(id: string): string {
    return `${this.prefix}user:${id}`;
  }
  /** SET of user ids. */
  get users(): string {
    return `${this.prefix}users`;
  }
  username(name: string): string {
    return `${this.prefix}username:${name}`;
  }
  /** Session by SHA-256 (hex) of the cookie value; expires with the session. */
  session(sha256hex: string): string {
    return `${this.prefix}session:${sha256hex}`;
  }

  /** Global audit stream (every change, capped). */
  get audit(): string {
    return `${this.prefix}audit`;
  }
  /** Namespace of @fastify/rate-limit counters (they expire on their own). */
  get rateLimit(): string {
    return `${this.prefix}rate-limit:`;
  }

  // ---- technical checks and readiness (server/jobs, server/readiness, server/notify) ----

  /** HASH siteId → SiteReadiness JSON (protocol/check/index.ts). */
  meetingReadiness(id: string): string {
    return `${this.prefix}meeting:${id}:readiness`;
  }
  /** STREAM of readiness transitions of the meeting's sites (capped). */
  meetingReadinessHistory(id: string): string {
    return `${this.prefix}meeting:${id}:readiness-history`;
  }
  /** The open check window (JSON, expires when the window closes). */
  meetingCheckWindow(id: string): string {
    return `${this.prefix}meeting:${id}:check-window`;
  }
  /** An IT "check now" for one site: results are accepted while it lives. */
  siteCheckRequest(meetingId: string, siteId: string): string {
    return `${this.prefix}meeting:${meetingId}:check-request:${siteId}`;
  }
  /** SET of BullMQ job ids scheduled for the meeting (so a change can move or remove them). */
  meetingJobs(id: string): string {
    return `${this.prefix}meeting:${id}:jobs`;
  }
  /** LIST of in-app notifications of the meeting, newest first (capped). */
  meetingNotifications(id: string): string {
    return `${this.prefix}meeting:${id}:notifications`;
  }
  /** Idempotency claim of one notification on one channel (SET NX; "pending", then "sent"). */
  notificationSent(key: string, channel: string): string {
    return `${this.prefix}notify-sent:${channel}:${key}`;
  }
  /** LIST of recent stalled-job events, for IT staff. */
  get stalledJobs(): string {
    return `${this.prefix}jobs:stalled`;
  }
  /** The meeting's recording and live-out settings (JSON, protocol/broadcast.ts). */
  meetingBroadcast(id: string): string {
    return `${this.prefix}meeting:${id}:broadcast`;
  }
  /** The meeting's recording while its session runs (JSON `{ since }`): a reopened session resumes it. */
  meetingRecording(id: string): string {
    return `${this.prefix}meeting:${id}:recording`;
  }
  // ---- reports collected from sites (server/reports) ----

  /** SET of report-request ids of a meeting. */
  meetingReportRequests(meetingId: string): string {
    return `${this.prefix}meeting:${meetingId}:report-requests`;
  }
  reportRequest(id: string): string {
    return `${this.prefix}report-request:${id}`;
  }
  /** One site's report (drafts, then the submission) for one request. */
  siteReport(requestId: string, siteId: string): string {
    return `${this.prefix}report-request:${requestId}:site:${siteId}`;
  }
  /** SET of BullMQ reminder job ids of a request (so a change can move or remove them). */
  reportRequestJobs(requestId: string): string {
    return `${this.prefix}report-request:${requestId}:jobs`;
  }

  // ---- attendance and the record of the meeting (server/attendance) ----

  /** HASH siteId → AttendanceConfirmation JSON (what the site confirmed at the start). */
  meetingAttendance(meetingId: string): string {
    return `${this.prefix}meeting:${meetingId}:attendance`;
  }
  /** LIST of the live session's events (joins, leaves, floor, status, agenda), oldest first. */
  meetingSessionLog(meetingId: string): string {
    return `${this.prefix}meeting:${meetingId}:session-log`;
  }
  /** HASH agenda index → Minute JSON (the secretary's conclusions, biên bản). */
  meetingMinutes(meetingId: string): string {
    return `${this.prefix}meeting:${meetingId}:minutes`;
  }

  /** The data's schema version: JSON {version, app, at} (server/store/schemaVersion.ts). */
  get schemaVersion(): string {
    return `${this.prefix}schema`;
  }
  /** Held (SET NX, PX) by the one node that migrates the data at start. */
  get schemaMigrationLock(): string {
    return `${this.prefix}schema:migrating`;
  }

  /** BullMQ's own prefix: its keys are `<prefix>bull:<queue>:…`. */
  get bullPrefix(): string {
    return `${this.prefix}bull`;
  }
}
