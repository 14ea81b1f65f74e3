import * as sdpTransform from 'sdp-transform';

/*
 * The SDP of a room system's call, as pure functions: which m-lines we take, with which codec
 * and keys, and the answer (or the offer of a delayed-offer call). Room systems speak plain RTP
 * without ICE, RTP/AVP or RTP/SAVP with SDES keys (a=crypto), H.264 packetization-mode 1 and
 * G.722/G.711; some offer each medium twice (SAVP and AVP, "best-effort SRTP") and add a BFCP
 * line for content, which is answered with port 0.
 */

export type SipMediaKind = 'audio' | 'video';

/**
 * SRTP suites we take (room systems offer these): AES-CM with HMAC-SHA1, which mediasoup's
 * PlainTransport implements and whose tag media/RtpLatch.ts can recompute after giving a packet
 * the room's payload type (an AEAD suite would need the packet re-encrypted).
 */
const srtpSuites = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const;
export type SrtpSuite = (typeof srtpSuites)[number];

export interface ChosenCodec {
  /** mediasoup's mime type, e.g. video/H264, audio/G722. */
  mimeType: string;
  payloadType: number;
  clockRate: number;
  parameters: Record<string, string | number>;
}

export interface ChosenMedia {
  kind: SipMediaKind;
  /** The m-line's index in the offer (the answer keeps the offer's order). */
  index: number;
  remoteIp: string;
  remotePort: number;
  /** Where the room sends and expects RTCP (a=rtcp, else port + 1; the RTP port when muxed). */
  remoteRtcpPort: number;
  rtcpMux: boolean;
  codec: ChosenCodec;
  /** The room's SDES key when the line is RTP/SAVP. */
  crypto?: { tag: number; suite: SrtpSuite; keyBase64: string };
  /** a=ssrc of the room's stream, when it announces it. */
  ssrc?: number;
  direction: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
}

export interface OfferChoice {
  media: ChosenMedia[];
  /** Every m-line of the offer, so the answer can refuse the others with port 0. */
  lines: { type: string; protocol: string; payloads: string; taken: boolean }[];
}

/** The profile our routers carry (Constrained Baseline 3.1): what we answer for any H.264. */
export const H264_PROFILE = '42e01f';

const audioPreference = ['G722', 'PCMU', 'PCMA'] as const;
const staticAudio: Record<number, { name: string; rate: number }> = {
  0: { name: 'PCMU', rate: 8000 },
  8: { name: 'PCMA', rate: 8000 },
  9: { name: 'G722', rate: 8000 },
};

function parseFmtp(config: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of config.split(';')) {
    const [k, v] = part.split('=');
    if (k && v !== undefined) out[k.trim().toLowerCase()] = v.trim();
  }
  return out;
}

type MediaLine = sdpTransform.SessionDescription['media'][number];

function codecsOf(
  m: MediaLine,
): { pt: number; name: string; rate: number; fmtp: Record<string, string> }[] {
  const pts = String(m.payloads ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  return pts.map((pt) => {
    const rtp = m.rtp.find((r) => r.payload === pt);
    const fmtp = m.fmtp.find((f) => f.payload === pt);
    const fallback = staticAudio[pt];
    return {
      pt,
      name: (rtp?.codec ?? fallback?.name ?? '').toUpperCase(),
      rate: rtp?.rate ?? fallback?.rate ?? 0,
      fmtp: fmtp ? parseFmtp(fmtp.config) : {},
    };
  });
}

function chooseCodec(kind: SipMediaKind, m: MediaLine): ChosenCodec | undefined {
  const codecs = codecsOf(m);
  if (kind === 'video') {
    // Packetization mode 1 only (the routers' H.264); any profile is answered as Constrained
    // Baseline: a room offering Baseline or High then sends what our routers and browsers take.
    const h264 = codecs.find((c) => c.name === 'H264' && c.fmtp['packetization-mode'] === '1');
    if (!h264) return undefined;
    return {
      mimeType: 'video/H264',
      payloadType: h264.pt,
      clockRate: 90000,
      parameters: { 'packetization-mode': 1, 'profile-level-id': H264_PROFILE },
    };
  }
  for (const name of audioPreference) {
    const c = codecs.find((x) => x.name === name);
    // G.722's RTP clock is 8000 by RFC 3551's mistake; mediasoup uses the same.
    if (c) return { mimeType: `audio/${name}`, payloadType: c.pt, clockRate: 8000, parameters: {} };
  }
  return undefined;
}

function chooseCrypto(m: MediaLine): ChosenMedia['crypto'] | undefined | null {
  if (!/SAVP/.test(m.protocol)) return undefined;
  for (const suite of srtpSuites) {
    for (const c of m.crypto ?? []) {
      if (c.suite !== suite) continue;
      // inline:<base64 key||salt>[|lifetime][|MKI:length]; an MKI is not supported.
      const inline = /^inline:([A-Za-z0-9+/=]+)(\|[^|]*)?(\|.*)?$/.exec(
        c.config.split(' ')[0] ?? '',
      );
      if (!inline?.[1] || inline[3]) continue;
      return { tag: c.id, suite, keyBase64: inline[1] };
    }
  }
  return null; // SAVP without a key we can use
}

/**
 * Picks at most one audio and one video line: a secured line (RTP/SAVP with a usable key)
 * over a plain one of the same kind; refuses ICE/DTLS lines (UDP/TLS/…) and everything else.
 */
export function chooseFromOffer(sdp: string): OfferChoice {
  const parsed = sdpTransform.parse(sdp);
  const sessionIp = parsed.connection?.ip;
  const lines: OfferChoice['lines'] = parsed.media.map((m) => ({
    type: m.type,
    protocol: m.protocol,
    payloads: String(m.payloads ?? ''),
    taken: false,
  }));
  const best = new Map<SipMediaKind, ChosenMedia>();
  parsed.media.forEach((m, index) => {
    if (m.type !== 'audio' && m.type !== 'video') return;
    if (m.port === 0 || !/^RTP\/S?AVPF?$/.test(m.protocol)) return;
    const kind = m.type;
    const codec = chooseCodec(kind, m);
    const crypto = chooseCrypto(m);
    const ip = m.connection?.ip ?? sessionIp;
    if (!codec || crypto === null || !ip) return;
    const current = best.get(kind);
    if (current && (current.crypto || !crypto)) return;
    const rtcpMux = m.rtcpMux !== undefined;
    const ssrc = m.ssrcs?.find((s) => s.attribute === 'cname')?.id ?? m.ssrcs?.[0]?.id;
    const direction = (m.direction ?? parsed.direction ?? 'sendrecv') as ChosenMedia['direction'];
    best.set(kind, {
      kind,
      index,
      remoteIp: ip,
      remotePort: m.port,
      remoteRtcpPort: rtcpMux ? m.port : (m.rtcp?.port ?? m.port + 1),
      rtcpMux,
      codec,
      ...(crypto ? { crypto } : {}),
      ...(ssrc !== undefined ? { ssrc: Number(ssrc) } : {}),
      direction: ip === '0.0.0.0' ? 'inactive' : direction,
    });
  });
  for (const c of best.values()) lines[c.index]!.taken = true;
  return { media: [...best.values()].sort((a, b) => a.index - b.index), lines };
}

/** What we put in an answer (or a delayed-offer call's offer) for one taken line. */
export interface LocalMedia {
  kind: SipMediaKind;
  port: number;
  codec: ChosenCodec;
  rtcpMux: boolean;
  /** Our SDES key (mediasoup's transport key) with the room's tag and suite. */
  crypto?: { tag: number; suite: string; keyBase64: string };
  direction: ChosenMedia['direction'];
}

const mirror: Record<ChosenMedia['direction'], ChosenMedia['direction']> = {
  sendrecv: 'sendrecv',
  sendonly: 'recvonly',
  recvonly: 'sendonly',
  inactive: 'inactive',
};

/** The direction we answer to the room's. */
export function answerDirection(offered: ChosenMedia['direction']): ChosenMedia['direction'] {
  return mirror[offered];
}

function mediaSection(local: LocalMedia, protocol: string): MediaLine {
  const c = local.codec;
  const [, name] = c.mimeType.split('/');
  const fmtp = Object.entries(c.parameters)
    .map(([k, v]) => `${k}=${v}`)
    .join(';');
  return {
    type: local.kind,
    port: local.port,
    protocol,
    payloads: String(c.payloadType),
    rtp: [{ payload: c.payloadType, codec: name!, rate: local.kind === 'video' ? 90000 : 8000 }],
    fmtp: fmtp ? [{ payload: c.payloadType, config: fmtp }] : [],
    ...(local.kind === 'video'
      ? {
          rtcpFb: [
            { payload: c.payloadType, type: 'nack', subtype: 'pli' },
            { payload: c.payloadType, type: 'ccm', subtype: 'fir' },
          ],
        }
      : {}),
    ...(local.rtcpMux ? { rtcpMux: 'rtcp-mux' } : {}),
    ...(local.crypto
      ? {
          crypto: [
            {
              id: local.crypto.tag,
              suite: local.crypto.suite,
              config: `inline:${local.crypto.keyBase64}`,
            },
          ],
        }
      : {}),
    direction: local.direction,
  } as MediaLine;
}

export interface SessionOrigin {
  ip: string;
  /** o= session id and version: the version grows with each new description of the call. */
  sessionId: number;
  version: number;
}

/** The answer: the offer's lines in order, the taken ones with our ports, the others port 0. */
export function buildAnswer(
  choice: OfferChoice,
  local: ReadonlyMap<number, LocalMedia>,
  origin: SessionOrigin,
): string {
  const media: MediaLine[] = choice.lines.map((line, index) => {
    const mine = local.get(index);
    if (mine) return mediaSection(mine, line.protocol);
    return {
      type: line.type,
      port: 0,
      protocol: line.protocol,
      payloads: line.payloads,
      rtp: [],
      fmtp: [],
    } as MediaLine;
  });
  return write(origin, media);
}

/** A delayed-offer call (INVITE without SDP): our offer, plain RTP/AVP, one line per kind. */
export function buildOffer(local: readonly LocalMedia[], origin: SessionOrigin): string {
  return write(
    origin,
    local.map((l) => mediaSection(l, l.crypto ? 'RTP/SAVP' : 'RTP/AVP')),
  );
}

function write(origin: SessionOrigin, media: MediaLine[]): string {
  return sdpTransform.write({
    version: 0,
    origin: {
      username: 'diemcau',
      sessionId: origin.sessionId,
      sessionVersion: origin.version,
      netType: 'IN',
      ipVer: 4,
      address: origin.ip,
    },
    name: 'diemcau',
    connection: { version: 4, ip: origin.ip },
    timing: { start: 0, stop: 0 },
    media,
  } as sdpTransform.SessionDescription);
}

/** The codecs we offer in a delayed-offer call (static payload types; H.264 dynamic 96). */
export const offeredCodecs: Record<SipMediaKind, ChosenCodec> = {
  audio: { mimeType: 'audio/G722', payloadType: 9, clockRate: 8000, parameters: {} },
  video: {
    mimeType: 'video/H264',
    payloadType: 96,
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': H264_PROFILE },
  },
};
