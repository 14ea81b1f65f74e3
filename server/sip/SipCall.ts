import { randomBytes, randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import type { NameAddr, Remote, SipRequest, SipResponse, Stack } from 'sip';
import sip from 'sip';
import type { MediaLogger } from '../../media/MediaLogger.js';
import type { MeetingSession } from '../../signaling/session/MeetingSession.js';
import type { ExternalLink, Participant } from '../../signaling/session/Participant.js';
import { CallMedia } from './CallMedia.js';
import type { RoomFeed } from './RoomFeed.js';
import {
  buildAnswer,
  type ChosenMedia,
  chooseFromOffer,
  type LocalMedia,
  type OfferChoice,
  offeredCodecs,
  type SessionOrigin,
} from './sdpOffer.js';

/** calling: our INVITE is out (dial-out); answering: the room's INVITE is being answered. */
export type CallState = 'calling' | 'answering' | 'connected' | 'held' | 'ended';

export interface SipCallOptions {
  stack: Stack;
  /** Where the room's SIP comes from (dial-in) or goes to (dial-out). */
  remote: Remote;
  session: MeetingSession;
  siteId: string;
  siteName: string;
  feed: RoomFeed;
  /** Address in our SDP and Contact. */
  announcedIp: string;
  sipPort: number;
  listenIp: string;
  rtpPortMin: number;
  rtpPortMax: number;
  mediaTimeoutMs: number;
  logger: MediaLogger;
}

export interface SipCallEvents {
  ended: [reason: string];
  stateChanged: [CallState];
}

/** The dialog's two ends as our in-dialog requests carry them (RFC 3261 12.2.1.1). */
export interface Dialog {
  /** Our end (the From of what we send), with our tag. */
  local: NameAddr;
  /** The room's end, with its tag. */
  remote: NameAddr;
  /** Where requests go: the room's Contact. */
  target: string;
  /** Route set, in the order our requests list it. */
  route: NameAddr[];
}

/**
 * One room system's call once it is a dialog, whichever side set it up (AnsweredCall: the room
 * dialled in; DialledCall: the service called the room): the site's ExternalLink in the session,
 * its media (CallMedia), re-INVITEs (hold, resume, moved media), INFO keyframe requests, the
 * silence watchdog, and the BYE either way.
 */
export abstract class SipCall extends EventEmitter<SipCallEvents> implements ExternalLink {
  readonly via = 'sip' as const;
  readonly localTag = randomBytes(6).toString('hex');
  readonly startedAt = Date.now();
  /** When the call was first connected (0 before). */
  connectedAt = 0;
  /** Why it ended, once it has. */
  endReason?: string;
  protected media?: CallMedia;
  protected participant?: Participant;
  protected choice?: OfferChoice;
  protected readonly origin: SessionOrigin;
  protected localSeq = randomInt(1, 10_000);
  protected remoteSeq = 0;
  protected abstract dialog: Dialog;
  private watchdog?: NodeJS.Timeout;
  protected readonly log: MediaLogger;

  constructor(
    protected readonly options: SipCallOptions,
    readonly callId: string,
    public state: CallState,
  ) {
    super();
    this.origin = { ip: options.announcedIp, sessionId: randomInt(1, 2 ** 31), version: 1 };
    this.log = options.logger.child({
      component: 'sip-call',
      meetingId: options.session.meetingId,
      siteId: options.siteId,
      callId,
    });
  }

  get siteId(): string {
    return this.options.siteId;
  }

  get meetingId(): string {
    return this.options.session.meetingId;
  }

  get remoteAddress(): string {
    return `${this.options.remote.address}:${this.options.remote.port}`;
  }

  get mediaTransports() {
    return this.media?.transports ?? [];
  }

  get mediaStats() {
    return this.media?.stats ?? [];
  }

  protected get contact(): NameAddr[] {
    return [{ uri: `sip:diemcau@${this.options.announcedIp}:${this.options.sipPort}`, params: {} }];
  }

  /** Joins the session as the site (taking over from its page) and opens the call's media. */
  protected async join(): Promise<CallMedia> {
    const { session } = this.options;
    this.participant = await session.attachExternal(
      {
        endpointId: `site:${this.options.siteId}`,
        role: 'site',
        siteId: this.options.siteId,
        name: this.options.siteName,
      },
      this,
    );
    this.media = new CallMedia({
      session,
      participant: this.participant,
      feed: this.options.feed,
      listenIp: this.options.listenIp,
      portMin: this.options.rtpPortMin,
      portMax: this.options.rtpPortMax,
      logger: this.log,
    });
    return this.media;
  }

  /** Ports for what we offer (a delayed-offer answer, a dial-out INVITE): plain RTP, one per kind. */
  protected async offerPorts(media: CallMedia): Promise<LocalMedia[]> {
    const pending: LocalMedia[] = [];
    for (const kind of ['audio', 'video'] as const) {
      const placeholder: ChosenMedia = {
        kind,
        index: pending.length,
        remoteIp: '0.0.0.0',
        remotePort: 9,
        remoteRtcpPort: 10,
        rtcpMux: false,
        codec: offeredCodecs[kind],
        direction: 'sendrecv',
      };
      pending.push(await media.add(placeholder));
    }
    return pending;
  }

  protected send(rs: SipResponse, toTag: boolean): void {
    if (toTag)
      rs.headers.to = { ...rs.headers.to, params: { ...rs.headers.to.params, tag: this.localTag } };
    this.options.stack.send(rs);
  }

  /** A request of this dialog (ACK, BYE, INVITE, INFO, OPTIONS, UPDATE). */
  async inDialog(rq: SipRequest): Promise<void> {
    if (rq.method === 'ACK') return this.acked(rq);
    if (rq.headers.cseq.seq < this.remoteSeq && rq.method !== 'CANCEL') {
      this.send(sip.makeResponse(rq, 500, 'Server Internal Error'), false);
      return;
    }
    this.remoteSeq = rq.headers.cseq.seq;
    switch (rq.method) {
      case 'BYE':
        this.send(sip.makeResponse(rq, 200, 'OK'), false);
        this.finish('the room hung up');
        return;
      case 'INVITE':
        return this.reInvite(rq);
      case 'INFO':
        if (/picture_fast_update/.test(rq.content)) {
          await this.media?.keyFrame();
          this.log.debug('keyframe asked by SIP INFO');
        }
        this.send(sip.makeResponse(rq, 200, 'OK'), false);
        return;
      case 'OPTIONS':
        this.send(sip.makeResponse(rq, 200, 'OK', { headers: { allow: ALLOW } }), false);
        return;
      default:
        this.send(
          sip.makeResponse(rq, 405, 'Method Not Allowed', { headers: { allow: ALLOW } }),
          false,
        );
    }
  }

  /** An ACK of the dialog (the answerer's side completes its INVITE with it). */
  protected acked(_rq: SipRequest): void {}

  /** The call is up: the site is in the meeting until a BYE, or the room falls silent. */
  protected connected(): void {
    this.setState('connected');
    this.connectedAt = Date.now();
    const connectedAt = this.connectedAt;
    this.watchdog = setInterval(() => {
      // Silent since its last packet, or since the answer if it never sent one.
      const silent = Math.min(this.media?.silentMs ?? 0, Date.now() - connectedAt);
      if (silent > this.options.mediaTimeoutMs) this.hangUp('no media from the room');
    }, 2000);
    this.watchdog.unref();
  }

  private async reInvite(rq: SipRequest): Promise<void> {
    if (!rq.content.trim() || !this.choice || !this.media) {
      // A re-INVITE without SDP asks for our offer again: the same description.
      this.send(sip.makeResponse(rq, 488, 'Not Acceptable Here'), false);
      return;
    }
    const next = chooseFromOffer(rq.content);
    const local = new Map<number, LocalMedia>();
    for (const m of next.media) {
      const mine = this.media.localFor(m);
      if (mine) local.set(m.index, mine);
      this.media.retarget(m);
    }
    if (local.size === 0) {
      this.send(sip.makeResponse(rq, 488, 'Not Acceptable Here'), false);
      return;
    }
    const held = next.media.every(
      (m) => m.direction === 'sendonly' || m.direction === 'inactive' || m.remoteIp === '0.0.0.0',
    );
    await this.media.hold(held);
    this.origin.version++;
    this.choice = next;
    this.send(
      sip.makeResponse(rq, 200, 'OK', {
        headers: { contact: this.contact, 'content-type': 'application/sdp' },
        content: buildAnswer(next, local, this.origin),
      }),
      false,
    );
    this.setState(held ? 'held' : 'connected');
    this.log.info({ held }, 're-INVITE answered');
  }

  /** ExternalLink: the session ends the call (site removed, page took over, session over): BYE. */
  end(reason: string): void {
    this.hangUp(reason);
  }

  /** The call is over (BYE either way, CANCEL, refused): its media and its place in the session go. */
  finish(reason: string): void {
    if (this.state === 'ended') return;
    const wasUp = this.state !== 'answering' && this.state !== 'calling';
    this.endReason = reason;
    this.setState('ended');
    this.stopTimers();
    if (this.watchdog) clearInterval(this.watchdog);
    this.media?.close();
    if (this.participant) this.options.session.detachExternal(this.participant, this, reason);
    this.log.info({ reason, wasUp }, 'call ended');
    this.emit('ended', reason);
    this.removeAllListeners('stateChanged');
  }

  /** Timers of the call's setup, stopped when it ends. */
  protected stopTimers(): void {}

  /** We hang up: BYE to the room (a call not yet confirmed is ended by BYE too, after its ACK). */
  hangUp(reason: string): void {
    if (this.state === 'ended') return;
    this.options.stack.send(this.request('BYE'), (rs) =>
      this.log.debug({ status: rs.status }, 'BYE answered'),
    );
    this.finish(reason);
  }

  /** A new request of the dialog (BYE; ACK takes the INVITE's sequence number). */
  protected request(method: string, seq = ++this.localSeq): Omit<SipRequest, 'version'> {
    const { target, route } = this.dialog;
    return {
      method,
      uri: target,
      headers: {
        via: [],
        to: this.dialog.remote,
        from: this.dialog.local,
        'call-id': this.callId,
        cseq: { seq, method },
        contact: this.contact,
        ...(route.length ? { route: [...route] } : this.directRoute(target)),
        'max-forwards': 70,
      },
      content: '',
    };
  }

  /**
   * A Route that sends a request straight to the target's address: the `sip` stack takes a URI
   * on its own host for one of its flows (loopback in tests, a room behind the same NAT address),
   * and finds no address for it otherwise. Its hop is removed before sending.
   */
  protected directRoute(target: string): { route?: NameAddr[] } {
    const { remote, stack } = this.options;
    const uri = sip.parseUri(target);
    if (!isIP(uri.host) || !remote.local) return {};
    const flow = stack.encodeFlowUri({
      protocol: remote.protocol,
      address: uri.host,
      port: Number(uri.port ?? 5060),
      local: remote.local,
    });
    return { route: [{ uri: sip.stringifyUri({ ...flow, params: { lr: null } }), params: {} }] };
  }

  protected setState(state: CallState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('stateChanged', state);
  }
}

export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO';

export type { Remote };
