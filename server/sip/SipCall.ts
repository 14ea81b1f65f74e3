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
  buildOffer,
  type ChosenMedia,
  chooseFromOffer,
  type LocalMedia,
  type OfferChoice,
  offeredCodecs,
  type SessionOrigin,
} from './sdpOffer.js';

export type CallState = 'answering' | 'connected' | 'held' | 'ended';

export interface SipCallOptions {
  stack: Stack;
  invite: SipRequest;
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

/** Why the call could not be answered: the SIP status to send. */
export class CallRefused extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(`${status} ${reason}`);
  }
}

const T1 = 500;

/**
 * One room system's call (the UAS side of one dialog): answers the INVITE (or, for a delayed
 * offer, offers in the 200 OK and takes the answer from the ACK), keeps re-sending the 200 OK
 * until the ACK, follows re-INVITEs (hold, resume, moved media), answers INFO keyframe requests,
 * hangs up with BYE, and is the site's ExternalLink in the session while it lasts.
 */
export class SipCall extends EventEmitter<SipCallEvents> implements ExternalLink {
  readonly via = 'sip' as const;
  readonly callId: string;
  readonly localTag = randomBytes(6).toString('hex');
  state: CallState = 'answering';
  private media?: CallMedia;
  private participant?: Participant;
  private choice?: OfferChoice;
  private readonly origin: SessionOrigin;
  private localSeq = randomInt(1, 10_000);
  private remoteSeq: number;
  private okTimer?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private delayedOffer = false;
  private readonly log: MediaLogger;
  readonly startedAt = Date.now();

  constructor(private readonly options: SipCallOptions) {
    super();
    this.callId = options.invite.headers['call-id'];
    this.remoteSeq = options.invite.headers.cseq.seq;
    this.origin = { ip: options.announcedIp, sessionId: randomInt(1, 2 ** 31), version: 1 };
    this.log = options.logger.child({
      component: 'sip-call',
      meetingId: options.session.meetingId,
      siteId: options.siteId,
      callId: this.callId,
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

  private get contact(): NameAddr[] {
    return [{ uri: `sip:diemcau@${this.options.announcedIp}:${this.options.sipPort}`, params: {} }];
  }

  /** Joins the session and answers (200 OK with SDP); refuses with CallRefused. */
  async answer(): Promise<void> {
    const { invite, session } = this.options;
    const hasOffer = invite.content.trim().length > 0;
    let choice: OfferChoice | undefined;
    if (hasOffer) {
      choice = chooseFromOffer(invite.content);
      if (choice.media.length === 0) throw new CallRefused(488, 'Not Acceptable Here');
    }
    this.send(sip.makeResponse(invite, 180, 'Ringing'), true);
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
    let sdp: string;
    if (choice) {
      this.choice = choice;
      const local = new Map<number, LocalMedia>();
      for (const c of choice.media) local.set(c.index, await this.media.add(c));
      sdp = buildAnswer(choice, local, this.origin);
    } else {
      // Delayed offer: we offer plain RTP on ports opened now; the ACK's answer fills them in.
      this.delayedOffer = true;
      const pending: LocalMedia[] = [];
      for (const kind of ['audio', 'video'] as const) {
        const codec = offeredCodecs[kind];
        const placeholder: ChosenMedia = {
          kind,
          index: pending.length,
          remoteIp: '0.0.0.0',
          remotePort: 9,
          remoteRtcpPort: 10,
          rtcpMux: false,
          codec,
          direction: 'sendrecv',
        };
        pending.push(await this.media.add(placeholder));
      }
      sdp = buildOffer(pending, this.origin);
    }
    if (this.state === 'ended') return;
    const ok = sip.makeResponse(invite, 200, 'OK', {
      headers: { contact: this.contact, 'content-type': 'application/sdp' },
      content: sdp,
    });
    this.send(ok, true);
    // The 2xx is ours to repeat until the ACK (RFC 3261 13.3.1.4).
    let wait = T1;
    const resend = () => {
      if (this.state !== 'answering') return;
      if (Date.now() - this.startedAt > 32_000) {
        this.hangUp('no ACK');
        return;
      }
      this.options.stack.send(ok);
      wait = Math.min(wait * 2, 4000);
      this.okTimer = setTimeout(resend, wait);
    };
    this.okTimer = setTimeout(resend, wait);
    this.log.info(
      {
        media:
          choice?.media.map((m) => `${m.kind}:${m.codec.mimeType}${m.crypto ? '+srtp' : ''}`) ??
          'delayed offer',
      },
      'call answered',
    );
  }

  private send(rs: SipResponse, toTag: boolean): void {
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

  private acked(rq: SipRequest): void {
    if (this.state !== 'answering') return;
    if (this.okTimer) clearTimeout(this.okTimer);
    if (this.delayedOffer) {
      const answer = rq.content.trim() ? chooseFromOffer(rq.content) : undefined;
      if (!answer?.media.length) {
        this.hangUp('the delayed-offer answer had no usable media');
        return;
      }
      this.choice = answer;
      for (const m of answer.media) this.media?.retarget(m);
    }
    this.setState('connected');
    const connectedAt = Date.now();
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

  /** CANCEL before the answer: 487 to the INVITE, then the call is over. */
  cancelled(): void {
    if (this.state !== 'answering') return;
    this.send(sip.makeResponse(this.options.invite, 487, 'Request Terminated'), true);
    this.finish('cancelled by the room');
  }

  /** ExternalLink: the session ends the call (site removed, page took over, session over): BYE. */
  end(reason: string): void {
    this.hangUp(reason);
  }

  /** The call is over (BYE either way, CANCEL, refused): its media and its place in the session go. */
  finish(reason: string): void {
    if (this.state === 'ended') return;
    const wasUp = this.state !== 'answering';
    this.setState('ended');
    if (this.okTimer) clearTimeout(this.okTimer);
    if (this.watchdog) clearInterval(this.watchdog);
    this.media?.close();
    if (this.participant) this.options.session.detachExternal(this.participant, this, reason);
    this.log.info({ reason, wasUp }, 'call ended');
    this.emit('ended', reason);
    this.removeAllListeners('stateChanged');
  }

  /** We hang up: BYE to the room (a call not yet confirmed is ended by BYE too, after its ACK). */
  hangUp(reason: string): void {
    if (this.state === 'ended') return;
    const { invite } = this.options;
    const contacts = invite.headers.contact;
    const target =
      Array.isArray(contacts) && contacts[0]
        ? contacts[0].uri
        : sip.stringifyUri(sip.parseUri(invite.headers.from.uri));
    const rr = invite.headers['record-route'];
    this.options.stack.send(
      {
        method: 'BYE',
        uri: target,
        headers: {
          via: [],
          to: invite.headers.from,
          from: {
            ...invite.headers.to,
            params: { ...invite.headers.to.params, tag: this.localTag },
          },
          'call-id': this.callId,
          cseq: { seq: ++this.localSeq, method: 'BYE' },
          contact: this.contact,
          ...(rr?.length ? { route: rr } : this.directRoute(target)),
          'max-forwards': 70,
        },
        content: '',
      },
      (rs) => this.log.debug({ status: rs.status }, 'BYE answered'),
    );
    this.finish(reason);
  }

  /**
   * A Route that sends an in-dialog request straight to the Contact's address: the `sip` stack
   * takes a URI on its own host for one of its flows (loopback in tests, a room behind the same
   * NAT address), and finds no address for it otherwise. Its hop is removed before sending.
   */
  private directRoute(target: string): { route?: NameAddr[] } {
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

  private setState(state: CallState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('stateChanged', state);
  }
}

export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO';

/** Whether a request belongs to this call's dialog (its Call-ID and our tag). */
export function dialogKey(rq: { headers: { 'call-id': string } }): string {
  return rq.headers['call-id'];
}

export type { Remote };
