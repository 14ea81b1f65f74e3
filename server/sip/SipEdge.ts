import { EventEmitter } from 'node:events';
import { BlockList, isIPv4 } from 'node:net';
import type { Remote, SipRequest, Stack } from 'sip';
import sip from 'sip';
import digest, { type DigestContext } from 'sip/digest.js';
import type { Config } from '../../config/index.js';
import type { SipCallView } from '../../protocol/sip.js';
import type { Site } from '../../protocol/sites.js';
import type { SignalingServer } from '../../signaling/SignalingServer.js';
import type { MeetingSession } from '../../signaling/session/MeetingSession.js';
import type { DataServices } from '../DataServices.js';
import type { Logger } from '../logger.js';
import { AnsweredCall, CallRefused } from './AnsweredCall.js';
import { DialledCall } from './DialledCall.js';
import { RoomFeed } from './RoomFeed.js';
import { ALLOW, type CallState, type SipCall } from './SipCall.js';
import { SipNumbers } from './SipNumbers.js';

export interface SipEdgeOptions {
  settings: Config['sip'];
  /** Where rooms send media when SIP_ANNOUNCED_ADDRESS is not set. */
  mediaAnnouncedAddress: string;
  data: DataServices;
  signaling: SignalingServer;
  /** Whether this node runs the meeting's session (several nodes); absent: always. */
  admit?(meetingId: string): Promise<boolean>;
  logger: Logger;
}

/** What IT sees of a call. */
export interface CallView {
  callId: string;
  meetingId: string;
  siteId: string;
  state: CallState;
  direction: 'in' | 'out';
  startedAt: string;
  remote: string;
  media: SipCallView['media'];
}

/** A meeting can be joined in these states, as with a technician's link. */
const joinable = new Set(['scheduled', 'checking', 'live']);

function blockListOf(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const e of entries) {
    const [ip, bits] = e.split('/');
    if (!ip || !isIPv4(ip)) continue;
    if (bits === undefined) list.addAddress(ip, 'ipv4');
    else list.addSubnet(ip, Number(bits), 'ipv4');
  }
  return list;
}

function userOf(uri: string): string | undefined {
  try {
    return sip.parseUri(uri).user;
  } catch {
    return undefined;
  }
}

/**
 * The service's SIP door for halls' room systems (Poly, Cisco, Huawei, Yealink): an in-process
 * SIP stack (the `sip` package) on SIP_PORT, UDP and TCP. A room calls `<meeting number>@<host>`
 * from its site's SIP user, proving it with a digest password or its address; the call joins
 * the meeting as that site (SipCall), and the meeting's RoomFeed gives every room one picture
 * and one sound. Callers it does not know are refused with 403 whatever they dial, so nobody
 * learns which meetings exist. A room that waits to be called is called (place, from DialOut) and
 * its call is then the same as a dialled-in one. `callChanged` tells of every call's state.
 */
export class SipEdge extends EventEmitter<{ callChanged: [SipCall] }> {
  private readonly calls = new Map<string, SipCall>();
  private readonly feeds = new Map<string, Promise<RoomFeed>>();
  private readonly challenges = new Map<string, { ctx: DigestContext; at: number }>();
  private readonly numbers: SipNumbers;
  private readonly log: Logger;
  private closed = false;
  private sweep?: NodeJS.Timeout;

  private constructor(
    private readonly options: SipEdgeOptions,
    private stack: Stack,
  ) {
    super();
    this.numbers = new SipNumbers(options.data.store);
    this.log = options.logger.child({ component: 'sip' });
  }

  static async start(options: SipEdgeOptions): Promise<SipEdge> {
    const { settings } = options;
    let edge: SipEdge | undefined;
    const log = options.logger.child({ component: 'sip-stack' });
    const stack = sip.create(
      {
        port: settings.port,
        address: settings.listenIp,
        publicAddress: settings.announcedAddress ?? options.mediaAnnouncedAddress,
        udp: true,
        tcp: true,
        logger: { error: (e) => log.warn({ err: e.message }, 'sip stack error') },
      },
      (rq, remote) => edge?.onRequest(rq, remote),
    );
    edge = new SipEdge(options, stack);
    edge.sweep = setInterval(() => edge?.forgetChallenges(), 30_000);
    edge.sweep.unref();
    // The stack binds asynchronously; a moment lets a port clash surface as a log line first.
    await new Promise((r) => setTimeout(r, 50));
    log.info({ port: settings.port }, 'SIP edge listening');
    return edge;
  }

  get announcedIp(): string {
    return this.options.settings.announcedAddress ?? this.options.mediaAnnouncedAddress;
  }

  /** The meeting's SIP number and address, for IT to give the halls. */
  async addressOf(meetingId: string): Promise<{ number: string; uri: string }> {
    const number = await this.numbers.numberOf(meetingId);
    return { number, uri: `sip:${number}@${this.options.settings.domain}` };
  }

  get callCount(): number {
    return this.calls.size;
  }

  callsView(meetingId?: string): CallView[] {
    return [...this.calls.values()]
      .filter((c) => !meetingId || c.meetingId === meetingId)
      .map((c) => ({
        callId: c.callId,
        meetingId: c.meetingId,
        siteId: c.siteId,
        state: c.state,
        direction: c instanceof DialledCall ? ('out' as const) : ('in' as const),
        startedAt: new Date(c.startedAt).toISOString(),
        remote: c.remoteAddress,
        media: c.mediaStats,
      }));
  }

  /** Feeds running now (tests check they close with the last call). */
  get feedCount(): number {
    return this.feeds.size;
  }

  async feedOf(meetingId: string): Promise<RoomFeed | undefined> {
    return this.feeds.get(meetingId);
  }

  private onRequest(rq: SipRequest, remote: Remote): void {
    if (this.closed) return;
    const call = this.calls.get(rq.headers['call-id']);
    if (rq.method === 'CANCEL') {
      this.stack.send(
        sip.makeResponse(rq, call ? 200 : 481, call ? 'OK' : 'Call/Transaction Does Not Exist'),
      );
      if (call instanceof AnsweredCall) call.cancelled();
      return;
    }
    if (call && (rq.method !== 'INVITE' || rq.headers.to.params.tag === call.localTag)) {
      call.inDialog(rq).catch((err: unknown) => {
        this.log.warn({ err, method: rq.method }, 'in-dialog request failed');
      });
      return;
    }
    switch (rq.method) {
      case 'INVITE':
        if (rq.headers.to.params.tag) {
          this.stack.send(sip.makeResponse(rq, 481, 'Call/Transaction Does Not Exist'));
          return;
        }
        void this.invite(rq, remote);
        return;
      case 'ACK':
        return;
      case 'OPTIONS':
        // Keep-alives and the connection check's reachability probe.
        this.stack.send(sip.makeResponse(rq, 200, 'OK', { headers: { allow: ALLOW } }));
        return;
      case 'BYE':
      case 'INFO':
        this.stack.send(sip.makeResponse(rq, 481, 'Call/Transaction Does Not Exist'));
        return;
      default:
        this.stack.send(
          sip.makeResponse(rq, 405, 'Method Not Allowed', { headers: { allow: ALLOW } }),
        );
    }
  }

  private refuse(
    rq: SipRequest,
    status: number,
    reason: string,
    why: string,
    remote: Remote,
  ): void {
    this.log.info(
      { status, why, from: remote.address, callId: rq.headers['call-id'] },
      'call refused',
    );
    this.stack.send(sip.makeResponse(rq, status, reason));
  }

  /** Who is calling: the site whose SIP user is the From, if its password or address proves it. */
  private async caller(rq: SipRequest, remote: Remote): Promise<Site | 'challenged' | undefined> {
    const user = userOf(rq.headers.from.uri);
    if (!user) return undefined;
    const site = (await this.options.data.sites.list()).find((s) => s.sip?.user === user);
    const sipId = site?.sip;
    if (!site || !sipId) return undefined;
    if (sipId.allowFrom.length && blockListOf(sipId.allowFrom).check(remote.address, 'ipv4'))
      return site;
    if (!sipId.password) return undefined;
    const callId = rq.headers['call-id'];
    const pending = this.challenges.get(callId);
    if (pending && rq.headers.authorization) {
      this.challenges.delete(callId);
      if (digest.authenticateRequest(pending.ctx, rq, { user, password: sipId.password }))
        return site;
      return undefined;
    }
    const ctx: DigestContext = { realm: this.options.settings.domain };
    this.challenges.set(callId, { ctx, at: Date.now() });
    this.stack.send(digest.challenge(ctx, sip.makeResponse(rq, 401, 'Unauthorized')));
    return 'challenged';
  }

  private forgetChallenges(): void {
    const old = Date.now() - 60_000;
    for (const [id, c] of this.challenges) if (c.at < old) this.challenges.delete(id);
  }

  private async invite(rq: SipRequest, remote: Remote): Promise<void> {
    const { settings, data } = this.options;
    try {
      if (this.calls.size >= settings.maxCalls)
        return this.refuse(rq, 503, 'Service Unavailable', 'node call limit', remote);
      const site = await this.caller(rq, remote);
      if (site === 'challenged') return;
      // Unknown or unproven: the same answer whatever was dialled.
      if (!site) return this.refuse(rq, 403, 'Forbidden', 'caller not recognised', remote);
      const dialled = userOf(rq.uri) ?? '';
      const meetingId = await this.numbers.meetingOf(dialled);
      const meeting = meetingId ? await data.meetings.find(meetingId) : undefined;
      if (
        !meeting ||
        !joinable.has(meeting.state) ||
        !meeting.sites.some((s) => s.siteId === site.id)
      )
        return this.refuse(
          rq,
          404,
          'Not Found',
          'no open meeting of this site at that number',
          remote,
        );
      if (this.options.admit && !(await this.options.admit(meeting.id)))
        return this.refuse(
          rq,
          503,
          'Service Unavailable',
          'the meeting runs on another node',
          remote,
        );
      if (this.calls.has(rq.headers['call-id'])) return;
      const session = await this.options.signaling.sessionFor(meeting.id);
      const feed = await this.feedFor(session);
      // A room that dropped and calls back: the new call replaces its old one.
      for (const other of this.calls.values())
        if (other.siteId === site.id && other.meetingId === meeting.id)
          other.hangUp('the room called again');
      const call = new AnsweredCall({
        ...this.callOptions(session, site, feed),
        invite: rq,
        remote,
      });
      this.track(call);
      try {
        await call.answer();
      } catch (err) {
        const refused = err instanceof CallRefused ? err : undefined;
        // Cancelled while answering: the INVITE has had its 487 already.
        if (call.state === 'ended' && !refused) return;
        call.finish(refused ? refused.reason : 'could not answer');
        this.refuse(
          rq,
          refused?.status ?? 500,
          refused?.reason ?? 'Server Internal Error',
          refused ? 'no usable media' : (err as Error).message,
          remote,
        );
      }
    } catch (err) {
      this.log.error({ err }, 'INVITE failed');
      this.stack.send(sip.makeResponse(rq, 500, 'Server Internal Error'));
    }
  }

  private callOptions(session: MeetingSession, site: Site, feed: RoomFeed) {
    const { settings } = this.options;
    return {
      stack: this.stack,
      session,
      siteId: site.id,
      siteName: site.name,
      feed,
      announcedIp: this.announcedIp,
      sipPort: settings.port,
      listenIp: settings.listenIp,
      rtpPortMin: settings.rtpPortMin,
      rtpPortMax: settings.rtpPortMax,
      mediaTimeoutMs: settings.mediaTimeoutSeconds * 1000,
      logger: this.log,
    };
  }

  /** A call of this node, until it ends; every change of its state is told. */
  private track(call: SipCall): void {
    this.calls.set(call.callId, call);
    call.on('stateChanged', () => this.emit('callChanged', call));
    call.once('ended', () => {
      if (this.calls.get(call.callId) === call) this.calls.delete(call.callId);
      this.closeIdleFeed(call.meetingId);
      this.emit('callChanged', call);
    });
    this.emit('callChanged', call);
  }

  /** The site's call in the meeting on this node (dialled in or out), if one is not over. */
  callOf(meetingId: string, siteId: string): SipCall | undefined {
    for (const c of this.calls.values())
      if (c.meetingId === meetingId && c.siteId === siteId && c.state !== 'ended') return c;
    return undefined;
  }

  /**
   * Calls a room that waits to be called (its site's dial-out address); the returned call's
   * place() settles when it is connected or has failed. Refused when the node is full.
   */
  async place(session: MeetingSession, site: Site, uri: string): Promise<DialledCall> {
    const { settings } = this.options;
    if (this.closed) throw new Error('the SIP edge is stopped');
    if (this.calls.size >= settings.maxCalls) throw new Error('node call limit');
    const feed = await this.feedFor(session);
    const call = new DialledCall({
      ...this.callOptions(session, site, feed),
      uri,
      domain: settings.domain,
      ringMs: settings.ringSeconds * 1000,
    });
    this.track(call);
    return call;
  }

  /** The meeting's feed, opened with its first call and closed with its session. */
  private feedFor(session: MeetingSession): Promise<RoomFeed> {
    let feed = this.feeds.get(session.meetingId);
    if (!feed) {
      feed = RoomFeed.open(session, this.options.settings, this.log);
      this.feeds.set(session.meetingId, feed);
      feed.then(
        (f) =>
          session.once('closed', () => {
            f.close();
            if (this.feeds.get(session.meetingId) === feed) this.feeds.delete(session.meetingId);
          }),
        () => this.feeds.delete(session.meetingId),
      );
    }
    return feed;
  }

  private closeIdleFeed(meetingId: string): void {
    if ([...this.calls.values()].some((c) => c.meetingId === meetingId)) return;
    const feed = this.feeds.get(meetingId);
    this.feeds.delete(meetingId);
    void feed?.then((f) => f.close()).catch(() => {});
  }

  /** Hangs up every call (BYE), stops the feeds and the stack. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweep) clearInterval(this.sweep);
    for (const call of [...this.calls.values()]) call.hangUp('server shutdown');
    // Let the BYEs leave before the sockets close.
    await new Promise((r) => setTimeout(r, 100));
    for (const feed of this.feeds.values()) await feed.then((f) => f.close()).catch(() => {});
    this.feeds.clear();
    this.stack.destroy();
    this.log.info('SIP edge stopped');
  }
}
