import { randomBytes } from 'node:crypto';
import type { Remote, SipRequest, SipResponse } from 'sip';
import sip from 'sip';
import { type Dialog, SipCall, type SipCallOptions } from './SipCall.js';
import { buildOffer, chooseFromOffer } from './sdpOffer.js';

/** Why a call the service placed did not connect: the room's final status, or ours. */
export class DialFailed extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(`${status} ${reason}`);
  }
}

export interface DialledCallOptions extends Omit<SipCallOptions, 'remote'> {
  /** The room's dial-out address (sip:user@host[:port][;transport=…]). */
  uri: string;
  /** Host part of our From (the SIP domain). */
  domain: string;
  /** How long it may ring before we CANCEL. */
  ringMs: number;
}

/** Where a SIP URI is reached (an IP host; a name is resolved by the stack). */
function remoteOf(uri: string, local: { address: string; port: number }): Remote {
  const parsed = sip.parseUri(uri);
  const transport = String(parsed.params.transport ?? 'udp').toUpperCase();
  return { protocol: transport, address: parsed.host, port: Number(parsed.port ?? 5060), local };
}

/**
 * A call the service places to a hall's room system that waits to be called (the UAC side of its
 * dialog): INVITE with our offer (plain RTP, G.722 and H.264 on ports opened first), ACK of each
 * 2xx with the room's answer taken, CANCEL if it rings too long or is stopped before the answer.
 * Once up it is like a dial-in call: the site's camera and microphone, the programme back.
 */
export class DialledCall extends SipCall {
  protected dialog: Dialog;
  private invite?: Omit<SipRequest, 'version'>;
  private ringTimer?: NodeJS.Timeout;
  private settle?: { ok: () => void; fail: (err: DialFailed) => void };

  constructor(private readonly dial: DialledCallOptions) {
    super(
      {
        ...dial,
        remote: remoteOf(dial.uri, { address: dial.listenIp, port: dial.sipPort }),
      },
      `${randomBytes(12).toString('hex')}@diemcau`,
      'calling',
    );
    this.dialog = {
      local: { uri: `sip:diemcau@${dial.domain}`, params: { tag: this.localTag } },
      remote: { uri: dial.uri, params: {} },
      target: dial.uri,
      route: [],
    };
  }

  /** Places the call; resolves once it is connected, rejects with DialFailed otherwise. */
  async place(): Promise<void> {
    let sdp: string;
    try {
      const media = await this.join();
      sdp = buildOffer(await this.offerPorts(media), this.origin);
    } catch (err) {
      // The session closed or no port was free: the call is over before it went out.
      this.finish(`could not call: ${(err as Error).message}`);
      throw err;
    }
    if (this.state === 'ended') throw new DialFailed(487, 'stopped while dialling');
    const base = this.request('INVITE');
    const invite = {
      ...base,
      headers: { ...base.headers, 'content-type': 'application/sdp' },
      content: sdp,
    };
    this.invite = invite;
    const done = new Promise<void>((ok, fail) => {
      this.settle = { ok, fail };
    });
    // The stack gives the INVITE its Via (and branch) in place: the CANCEL reuses them.
    this.options.stack.send(invite, (rs) => this.onResponse(rs));
    this.ringTimer = setTimeout(() => this.hangUp('no answer'), this.dial.ringMs);
    this.log.info({ uri: this.dial.uri }, 'calling the room');
    return done;
  }

  private onResponse(rs: SipResponse): void {
    if (rs.status < 200) return;
    if (rs.status >= 300) {
      // The transaction layer ACKs a failure itself.
      this.fail(new DialFailed(rs.status, rs.reason));
      return;
    }
    // Every 2xx (the room repeats it until our ACK) is acknowledged.
    const contacts = rs.headers.contact;
    if (this.dialog.remote.params.tag === undefined) {
      this.dialog = {
        ...this.dialog,
        remote: rs.headers.to,
        target: Array.isArray(contacts) && contacts[0] ? contacts[0].uri : this.dialog.target,
        route: [...(rs.headers['record-route'] ?? [])].reverse(),
      };
    }
    this.ack();
    if (this.state === 'ended') {
      // Answered after we gave up (a CANCEL crossed the 200 OK): over at once.
      this.options.stack.send(this.request('BYE'));
      return;
    }
    if (this.state !== 'calling') return;
    const answer = rs.content?.trim() ? chooseFromOffer(rs.content) : undefined;
    if (!answer?.media.length) {
      this.hangUp('the room answered with no usable media');
      this.settle?.fail(new DialFailed(488, 'no usable media in the answer'));
      return;
    }
    this.choice = answer;
    for (const m of answer.media) this.media?.retarget(m);
    if (this.ringTimer) clearTimeout(this.ringTimer);
    this.connected();
    this.log.info(
      { media: answer.media.map((m) => `${m.kind}:${m.codec.mimeType}`) },
      'the room answered',
    );
    this.settle?.ok();
  }

  private ack(): void {
    const seq = this.invite?.headers.cseq.seq ?? this.localSeq;
    this.options.stack.send(this.request('ACK', seq));
  }

  private fail(err: DialFailed): void {
    this.finish(`${err.status} ${err.reason}`);
    this.settle?.fail(err);
  }

  /** Before the answer a CANCEL stops the ringing; after it, a BYE. */
  override hangUp(reason: string): void {
    if (this.state !== 'calling') {
      super.hangUp(reason);
      return;
    }
    const invite = this.invite;
    // Once the stack has sent the INVITE (its Via has a branch) there is something to cancel.
    if (invite?.headers.via[0]?.params.branch) {
      this.options.stack.send({
        method: 'CANCEL',
        uri: invite.uri,
        headers: {
          // The INVITE's own Via (its branch), as the stack sent it.
          via: invite.headers.via.slice(0, 1),
          to: invite.headers.to,
          from: invite.headers.from,
          'call-id': this.callId,
          cseq: { seq: invite.headers.cseq.seq, method: 'CANCEL' },
          ...this.directRoute(invite.uri),
          'max-forwards': 70,
        },
        content: '',
      });
    }
    this.fail(new DialFailed(487, reason));
  }

  protected override stopTimers(): void {
    if (this.ringTimer) clearTimeout(this.ringTimer);
  }
}
