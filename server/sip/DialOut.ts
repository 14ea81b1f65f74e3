import type { Config } from '../../config/index.js';
import { siteEndpointId } from '../../protocol/endpoints.js';
import type { SipSiteCall, SipSiteCallState } from '../../protocol/sip.js';
import type { Site } from '../../protocol/sites.js';
import type { SignalingServer } from '../../signaling/SignalingServer.js';
import type { MeetingSession } from '../../signaling/session/MeetingSession.js';
import type { DataServices } from '../DataServices.js';
import type { Logger } from '../logger.js';
import type { SipCall } from './SipCall.js';
import type { SipEdge } from './SipEdge.js';

export interface DialOutOptions {
  edge: SipEdge;
  signaling: SignalingServer;
  data: DataServices;
  settings: Config['sip'];
  logger: Logger;
}

/** One room the service calls in one meeting, while the meeting is live here. */
interface Dialled {
  meetingId: string;
  siteId: string;
  uri: string;
  /** Calls in a row that failed or dropped (a call that held 30 s starts the count again). */
  attempts: number;
  /** Dial at the next reconcile (first call, or its retry timer fired). */
  due: boolean;
  placing: boolean;
  timer?: NodeJS.Timeout;
  nextAttemptAt?: number;
  /** The last call ended or failed and none has replaced it yet. */
  dropped: boolean;
  lastError?: string;
  stopped: boolean;
  /** The call we placed last. */
  call?: SipCall;
}

/** A call that held this long was a good one: the retries start again from the shortest wait. */
const HELD_MS = 30_000;

const keyOf = (meetingId: string, siteId: string) => `${meetingId} ${siteId}`;

/** The site's own page is connected (it took over from the room, or never left). */
const pageHolds = (session: MeetingSession, siteId: string) =>
  Boolean(session.participant(siteEndpointId(siteId))?.socket);

/**
 * The service's calls to halls whose room systems wait to be called, and the one account of
 * every SIP site's call state (not called, calling, in call, on hold, dropped) that the chair's
 * and IT's lists show (MeetingSession.showCall) and GET /api/meetings/:id/sip/sites answers.
 *
 * When a meeting's session goes live on this node (its owner), every site of the meeting with a
 * dial-out address is called; a call that fails or drops is placed again after a wait that
 * doubles from SIP_DIAL_RETRY_MIN_SECONDS to SIP_DIAL_RETRY_MAX_SECONDS, at most
 * SIP_DIAL_ATTEMPTS times in a row. Calling stops, and our calls are hung up, when the session
 * ends or closes, the site leaves the meeting, or loses its dial-out address. A room that dials
 * in itself is not called while its call lasts.
 */
export class DialOut {
  private readonly dialled = new Map<string, Dialled>();
  private readonly sessions = new Map<string, MeetingSession>();
  /** SIP sites whose own (dial-in) call ended while the session went on. */
  private readonly droppedIn = new Set<string>();
  private readonly shown = new Map<string, { state: SipSiteCallState; since: number }>();
  private readonly reconciling = new Map<string, { again: boolean }>();
  /** Calls the service itself ended on purpose: not a drop. */
  private readonly letGo = new WeakSet<SipCall>();
  private readonly log: Logger;
  private closed = false;

  constructor(private readonly options: DialOutOptions) {
    this.log = options.logger.child({ component: 'sip-dial-out' });
    options.signaling.events.on('sessionOpened', (s) => this.watch(s));
    options.edge.on('callChanged', (call) => this.callChanged(call));
    options.data.meetings.on('meetingUpdated', (m) => this.reconcile(m.id));
    options.data.sites.on('siteUpdated', (site, previous) => {
      if (JSON.stringify(site.sip) === JSON.stringify(previous.sip)) return;
      // IT edited the room's settings: a room the service gave up on is called afresh.
      for (const d of [...this.dialled.values()])
        if (d.siteId === site.id && d.dropped && !d.timer && !d.placing)
          this.stop(d, 'site edited');
      for (const id of this.sessions.keys()) this.reconcile(id);
    });
  }

  private watch(session: MeetingSession): void {
    // The owner of a cascaded meeting calls its rooms; its edges do not.
    if (!session.role.decides || this.closed) return;
    const id = session.meetingId;
    this.sessions.set(id, session);
    let status = session.state.status;
    // The state changes with every floor and speaker; only going live or ending matters here.
    session.on('stateChanged', (state) => {
      if (state.status === status) return;
      status = state.status;
      this.reconcile(id);
    });
    // A page that held the site (its call gave way to it) has gone: the room may be called.
    session.on('endpointLeft', (p) => {
      if (p.siteId !== undefined) this.reconcile(id);
    });
    session.once('closed', () => {
      if (this.sessions.get(id) === session) this.sessions.delete(id);
      this.stopMeeting(id, 'session closed');
    });
    this.reconcile(id);
  }

  /** Brings the meeting's calls in line with its state and sites (one run at a time). */
  private reconcile(meetingId: string): void {
    if (!this.sessions.has(meetingId) || this.closed) return;
    const running = this.reconciling.get(meetingId);
    if (running) {
      running.again = true;
      return;
    }
    const run = { again: false };
    this.reconciling.set(meetingId, run);
    void (async () => {
      try {
        do {
          run.again = false;
          await this.reconcileOnce(meetingId);
        } while (run.again);
      } catch (err) {
        this.log.warn({ err, meetingId }, 'dial-out reconcile failed');
      } finally {
        this.reconciling.delete(meetingId);
      }
    })();
  }

  private async reconcileOnce(meetingId: string): Promise<void> {
    const session = this.sessions.get(meetingId);
    const meeting = await this.options.data.meetings.find(meetingId);
    if (!session || session.isClosed || !meeting) return this.stopMeeting(meetingId, 'gone');
    const sites = await this.options.data.sites.getMany(meeting.sites.map((s) => s.siteId));
    const live = session.state.status === 'live';
    const wanted = new Map<string, Site>();
    if (live) for (const site of sites.values()) if (site.sip?.dialOut) wanted.set(site.id, site);
    for (const d of this.dialled.values()) {
      if (d.meetingId !== meetingId) continue;
      const site = wanted.get(d.siteId);
      if (!site || site.sip?.dialOut !== d.uri)
        this.stop(d, live ? 'no longer dialled' : 'the session is not live');
    }
    for (const site of wanted.values()) {
      const key = keyOf(meetingId, site.id);
      let d = this.dialled.get(key);
      if (!d) {
        d = {
          meetingId,
          siteId: site.id,
          uri: site.sip!.dialOut!,
          attempts: 0,
          due: true,
          placing: false,
          dropped: false,
          stopped: false,
        };
        this.dialled.set(key, d);
      }
      // A room that dialled in itself is left alone while its call lasts, and a site whose
      // page is open is not taken from it: it is called when the page leaves.
      if (
        d.due &&
        !d.placing &&
        !this.options.edge.callOf(meetingId, site.id) &&
        !pageHolds(session, site.id)
      ) {
        d.due = false;
        void this.dial(d, session, site);
      }
    }
    for (const site of sites.values()) if (site.sip) this.publish(meetingId, site.id);
  }

  private async dial(d: Dialled, session: MeetingSession, site: Site): Promise<void> {
    d.placing = true;
    d.call = undefined;
    d.attempts++;
    d.nextAttemptAt = undefined;
    this.publish(d.meetingId, d.siteId);
    let call: SipCall;
    try {
      const placed = await this.options.edge.place(session, site, d.uri);
      call = placed;
      d.call = call;
      d.placing = false;
      if (d.stopped) {
        call.hangUp('no longer dialled');
        return;
      }
      await placed.place();
      this.log.info({ meetingId: d.meetingId, siteId: d.siteId, uri: d.uri }, 'room called');
    } catch (err) {
      d.placing = false;
      const reason = (err as Error).message;
      this.log.info(
        { meetingId: d.meetingId, siteId: d.siteId, reason },
        'call to the room failed',
      );
      // A call that never got an object (node full, session closing) retries from here; one
      // that did is retried when it ends (callChanged).
      if (!d.call) this.dropped(d, reason);
    }
  }

  /** Any call of a SIP site came, changed or ended: the account follows, a dropped room is called again. */
  private callChanged(call: SipCall): void {
    const key = keyOf(call.meetingId, call.siteId);
    const d = this.dialled.get(key);
    if (call.state !== 'ended') this.droppedIn.delete(key);
    if (call.state === 'connected' && d) {
      d.dropped = false;
      d.lastError = undefined;
    }
    if (
      call.state === 'ended' &&
      !this.letGo.has(call) &&
      !this.options.edge.callOf(call.meetingId, call.siteId)
    ) {
      if (d && !d.stopped) {
        if (call.connectedAt && Date.now() - call.connectedAt >= HELD_MS) d.attempts = 0;
        if (!d.placing) this.dropped(d, call.endReason ?? 'ended');
      } else if (!d && this.isLive(call.meetingId) && !this.pageOf(call.meetingId, call.siteId)) {
        this.droppedIn.add(key);
      }
    }
    this.publish(call.meetingId, call.siteId);
  }

  private isLive(meetingId: string): boolean {
    return this.sessions.get(meetingId)?.state.status === 'live';
  }

  private pageOf(meetingId: string, siteId: string): boolean {
    const session = this.sessions.get(meetingId);
    return session ? pageHolds(session, siteId) : false;
  }

  /** The call failed or dropped: the next one after the back-off, unless the attempts are spent. */
  private dropped(d: Dialled, reason: string): void {
    if (d.stopped || d.timer) return;
    const session = this.sessions.get(d.meetingId);
    if (session && pageHolds(session, d.siteId)) {
      // The site's page took over from its room: no retry count, a call once the page leaves.
      d.due = true;
      d.dropped = false;
      this.publish(d.meetingId, d.siteId);
      return;
    }
    d.dropped = true;
    d.lastError = reason;
    const { dialRetryMinSeconds, dialRetryMaxSeconds, dialAttempts } = this.options.settings;
    if (d.attempts >= dialAttempts) {
      this.log.warn(
        { meetingId: d.meetingId, siteId: d.siteId, attempts: d.attempts, reason },
        'the room did not answer: no more calls until its site or the session changes',
      );
    } else {
      const waitS = Math.min(dialRetryMaxSeconds, dialRetryMinSeconds * 2 ** (d.attempts - 1));
      d.nextAttemptAt = Date.now() + waitS * 1000;
      d.timer = setTimeout(() => {
        d.timer = undefined;
        d.due = true;
        this.reconcile(d.meetingId);
      }, waitS * 1000);
      d.timer.unref();
    }
    this.publish(d.meetingId, d.siteId);
  }

  private stop(d: Dialled, reason: string): void {
    d.stopped = true;
    if (d.timer) clearTimeout(d.timer);
    d.timer = undefined;
    this.dialled.delete(keyOf(d.meetingId, d.siteId));
    if (d.call && d.call.state !== 'ended') {
      this.letGo.add(d.call);
      d.call.hangUp(reason);
    }
    this.publish(d.meetingId, d.siteId);
  }

  private stopMeeting(meetingId: string, reason: string): void {
    for (const d of [...this.dialled.values()]) if (d.meetingId === meetingId) this.stop(d, reason);
    for (const key of [...this.droppedIn, ...this.shown.keys()])
      if (key.startsWith(`${meetingId} `)) {
        this.droppedIn.delete(key);
        this.shown.delete(key);
      }
  }

  /** The site's call state: its live call first, then what the service did about it. */
  stateOf(meetingId: string, siteId: string): SipSiteCallState {
    const call = this.options.edge.callOf(meetingId, siteId);
    if (call)
      return call.state === 'connected' ? 'in_call' : call.state === 'held' ? 'on_hold' : 'calling';
    const key = keyOf(meetingId, siteId);
    const d = this.dialled.get(key);
    if (d?.placing) return 'calling';
    if (d?.dropped || this.droppedIn.has(key)) return 'dropped';
    return 'not_called';
  }

  /** Tells the session (the chair's and IT's lists) when the site's state moved. */
  private publish(meetingId: string, siteId: string): void {
    const key = keyOf(meetingId, siteId);
    const state = this.stateOf(meetingId, siteId);
    const before = this.shown.get(key);
    if (before?.state === state) return;
    this.shown.set(key, { state, since: Date.now() });
    const session = this.sessions.get(meetingId);
    if (session && !session.isClosed) session.showCall(siteId, state);
  }

  /** The meeting's SIP sites as IT's board lists them. */
  async siteCalls(meetingId: string): Promise<SipSiteCall[]> {
    const meeting = await this.options.data.meetings.get(meetingId);
    const sites = await this.options.data.sites.getMany(meeting.sites.map((s) => s.siteId));
    return [...sites.values()]
      .filter((s) => s.sip)
      .map((s) => {
        const d = this.dialled.get(keyOf(meetingId, s.id));
        const shown = this.shown.get(keyOf(meetingId, s.id));
        return {
          siteId: s.id,
          state: this.stateOf(meetingId, s.id),
          dialOut: Boolean(s.sip?.dialOut),
          attempts: d?.attempts ?? 0,
          ...(d?.nextAttemptAt ? { nextAttemptAt: new Date(d.nextAttemptAt).toISOString() } : {}),
          ...(d?.dropped && d.lastError ? { lastError: d.lastError } : {}),
          since: new Date(shown?.since ?? Date.now()).toISOString(),
        };
      });
  }

  /** Stops every retry (the edge hangs the calls up as it closes). */
  close(): void {
    this.closed = true;
    for (const d of this.dialled.values()) {
      d.stopped = true;
      if (d.timer) clearTimeout(d.timer);
    }
    this.dialled.clear();
  }
}
