import type { SipRequest } from 'sip';
import sip from 'sip';
import { type Dialog, SipCall, type SipCallOptions } from './SipCall.js';
import {
  buildAnswer,
  buildOffer,
  chooseFromOffer,
  type LocalMedia,
  type OfferChoice,
} from './sdpOffer.js';

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
 * A room system's call to a meeting (the UAS side of its dialog): answers the INVITE (or, for a
 * delayed offer, offers in the 200 OK and takes the answer from the ACK), keeps re-sending the
 * 200 OK until the ACK, and answers a CANCEL before it.
 */
export class AnsweredCall extends SipCall {
  protected readonly dialog: Dialog;
  private readonly invite: SipRequest;
  private okTimer?: NodeJS.Timeout;
  private delayedOffer = false;

  constructor(options: SipCallOptions & { invite: SipRequest }) {
    super(options, options.invite.headers['call-id'], 'answering');
    const { invite } = options;
    this.invite = invite;
    this.remoteSeq = invite.headers.cseq.seq;
    const contacts = invite.headers.contact;
    this.dialog = {
      local: { ...invite.headers.to, params: { ...invite.headers.to.params, tag: this.localTag } },
      remote: invite.headers.from,
      target:
        Array.isArray(contacts) && contacts[0]
          ? contacts[0].uri
          : sip.stringifyUri(sip.parseUri(invite.headers.from.uri)),
      route: invite.headers['record-route'] ?? [],
    };
  }

  /** Joins the session and answers (200 OK with SDP); refuses with CallRefused. */
  async answer(): Promise<void> {
    const { invite } = this;
    const hasOffer = invite.content.trim().length > 0;
    let choice: OfferChoice | undefined;
    if (hasOffer) {
      choice = chooseFromOffer(invite.content);
      if (choice.media.length === 0) throw new CallRefused(488, 'Not Acceptable Here');
    }
    this.send(sip.makeResponse(invite, 180, 'Ringing'), true);
    const media = await this.join();
    let sdp: string;
    if (choice) {
      this.choice = choice;
      const local = new Map<number, LocalMedia>();
      for (const c of choice.media) local.set(c.index, await media.add(c));
      sdp = buildAnswer(choice, local, this.origin);
    } else {
      // Delayed offer: we offer plain RTP on ports opened now; the ACK's answer fills them in.
      this.delayedOffer = true;
      sdp = buildOffer(await this.offerPorts(media), this.origin);
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

  protected override acked(rq: SipRequest): void {
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
    this.connected();
  }

  /** CANCEL before the answer: 487 to the INVITE, then the call is over. */
  cancelled(): void {
    if (this.state !== 'answering') return;
    this.send(sip.makeResponse(this.invite, 487, 'Request Terminated'), true);
    this.finish('cancelled by the room');
  }

  protected override stopTimers(): void {
    if (this.okTimer) clearTimeout(this.okTimer);
  }
}
