import type { types } from 'mediasoup';
import * as sdpTransform from 'sdp-transform';
import { badField } from '../../protocol/errors.js';

/*
 * A WHIP offer (RFC 9725) read into mediasoup producer parameters, and the ice-lite answer
 * written back. SDP is parsed and written by sdp-transform; this module only maps fields.
 */

type MediaLine = sdpTransform.MediaDescription;

/** One m-line we take: its producer's kind and parameters. */
export interface OfferedTrack {
  mid: string;
  kind: types.MediaKind;
  rtpParameters: types.RtpParameters;
  /** Offered extmap ids kept, for the answer. */
  extensions: { id: number; uri: string }[];
  rtcpFeedback: types.RtcpFeedback[];
}

export interface ParsedOffer {
  sdp: sdpTransform.SessionDescription;
  /** The DTLS parameters of the client, as mediasoup's connect() takes them. */
  dtls: types.DtlsParameters;
  iceUfrag: string;
  tracks: OfferedTrack[];
}

const bad = (en: string, vi: string) => badField('sdp', { vi: `sdp: ${vi}`, en: `sdp: ${en}` });

/** RTCP feedback the SFU acts on; the rest of an offer's list is dropped from the answer. */
const feedbackKept = new Set(['nack', 'nack pli', 'ccm fir', 'goog-remb', 'transport-cc']);

function paramsOf(m: MediaLine, pt: number): Record<string, string | number> {
  const config = m.fmtp.find((f) => f.payload === pt)?.config;
  return config ? (sdpTransform.parseParams(config) as Record<string, string | number>) : {};
}

/** The codec of this m-line the router carries: H.264 (packetization-mode 1), VP8 or Opus. */
function pickCodec(m: MediaLine, router: types.RtpCapabilities) {
  for (const rtp of m.rtp) {
    const mimeType = `${m.type}/${rtp.codec}`.toLowerCase();
    const cap = router.codecs?.find((c) => c.mimeType.toLowerCase() === mimeType);
    if (!cap || mimeType.endsWith('/rtx')) continue;
    const parameters = paramsOf(m, rtp.payload);
    if (mimeType === 'video/h264') {
      // The routers carry the baseline profiles (42xxxx) in packetization mode 1.
      const profile = String(parameters['profile-level-id'] ?? '42e01f').toLowerCase();
      if (Number(parameters['packetization-mode']) !== 1 || !profile.startsWith('42')) continue;
    }
    if (mimeType === 'audio/opus' && Number(rtp.encoding ?? 1) !== 2) continue;
    const rtx = m.rtp.find(
      (r) => r.codec.toLowerCase() === 'rtx' && Number(paramsOf(m, r.payload).apt) === rtp.payload,
    );
    return { rtp, parameters, rtx };
  }
  return undefined;
}

function ssrcsOf(m: MediaLine): { ssrc?: number; rtxSsrc?: number; cname?: string } {
  const fid = m.ssrcGroups?.find((g) => g.semantics === 'FID');
  const [media, rtx] = fid ? fid.ssrcs.split(' ').map(Number) : [];
  const first = m.ssrcs?.[0]?.id;
  const ssrc = media ?? (first !== undefined ? Number(first) : undefined);
  const cname = m.ssrcs?.find((s) => s.attribute === 'cname')?.value;
  return {
    ...(ssrc !== undefined ? { ssrc } : {}),
    ...(rtx !== undefined ? { rtxSsrc: rtx } : {}),
    ...(cname ? { cname } : {}),
  };
}

/**
 * Reads an offer: its DTLS fingerprint and role, and one track per m-line the router can
 * carry (other m-lines are refused in the answer). Throws a 400 naming what is wrong.
 */
export function parseOffer(text: string, router: types.RtpCapabilities): ParsedOffer {
  if (text.length > 64_000) throw bad('the offer is too long', 'bản chào quá dài');
  let sdp: sdpTransform.SessionDescription;
  try {
    sdp = sdpTransform.parse(text);
  } catch {
    throw bad('not an SDP offer', 'không phải bản chào SDP');
  }
  if (!sdp.media?.length) throw bad('no m-line', 'không có dòng m=');
  const first = sdp.media[0]!;
  const fingerprint = first.fingerprint ?? sdp.fingerprint;
  const iceUfrag = first.iceUfrag ?? sdp.iceUfrag;
  if (!fingerprint || !iceUfrag)
    throw bad('no ICE credentials or DTLS fingerprint', 'thiếu thông tin ICE hoặc DTLS');
  const bundled = new Set(
    sdp.groups?.find((g) => g.type === 'BUNDLE')?.mids.split(' ') ?? [String(first.mid)],
  );
  const setup = first.setup ?? sdp.setup ?? 'actpass';
  const tracks: OfferedTrack[] = [];
  for (const m of sdp.media) {
    if (m.type !== 'audio' && m.type !== 'video') continue;
    if (m.mid === undefined || !bundled.has(String(m.mid))) continue;
    if (m.direction !== undefined && m.direction !== 'sendonly' && m.direction !== 'sendrecv')
      continue;
    if (tracks.some((t) => t.kind === m.type)) continue; // one camera, one microphone
    const codec = pickCodec(m, router);
    if (!codec) continue;
    const { ssrc, rtxSsrc, cname } = ssrcsOf(m);
    const rtcpFeedback = (m.rtcpFb ?? [])
      .filter((f) => f.payload === codec.rtp.payload)
      .map((f) => ({ type: f.type, parameter: f.subtype ?? '' }))
      .filter((f) => feedbackKept.has(`${f.type} ${f.parameter}`.trim()));
    const extensions = (m.ext ?? [])
      .filter((e) =>
        router.headerExtensions?.some(
          (h) => h.uri === e.uri && (h.kind === m.type || h.kind === undefined),
        ),
      )
      .map((e) => ({ id: e.value, uri: e.uri }));
    const codecs: types.RtpCodecParameters[] = [
      {
        mimeType: `${m.type}/${codec.rtp.codec}`,
        payloadType: codec.rtp.payload,
        clockRate: codec.rtp.rate ?? (m.type === 'audio' ? 48000 : 90000),
        ...(m.type === 'audio' ? { channels: 2 } : {}),
        parameters: codec.parameters,
        rtcpFeedback,
      },
    ];
    if (codec.rtx)
      codecs.push({
        mimeType: `${m.type}/rtx`,
        payloadType: codec.rtx.payload,
        clockRate: codec.rtx.rate ?? 90000,
        parameters: { apt: codec.rtp.payload },
        rtcpFeedback: [],
      });
    const encoding: types.RtpEncodingParameters = {
      ...(ssrc !== undefined ? { ssrc } : {}),
      ...(rtxSsrc !== undefined && codec.rtx ? { rtx: { ssrc: rtxSsrc } } : {}),
    };
    tracks.push({
      mid: String(m.mid),
      kind: m.type,
      rtpParameters: {
        mid: String(m.mid),
        codecs,
        headerExtensions: extensions.map((e) => ({ uri: e.uri as never, id: e.id })),
        encodings: [encoding],
        rtcp: { ...(cname ? { cname } : {}), reducedSize: true },
      },
      extensions,
      rtcpFeedback,
    });
  }
  if (!tracks.length)
    throw bad(
      'no sending m-line offers H.264 (baseline, packetization-mode=1), VP8 or Opus',
      'không có dòng m= gửi H.264 (baseline, packetization-mode=1), VP8 hoặc Opus',
    );
  return {
    sdp,
    iceUfrag,
    dtls: {
      // actpass or active: the client opens DTLS and mediasoup answers it.
      role: setup === 'passive' ? 'server' : 'client',
      fingerprints: [
        { algorithm: fingerprint.type as types.FingerprintAlgorithm, value: fingerprint.hash },
      ],
    },
    tracks,
  };
}

export interface AnswerTransport {
  iceParameters: types.IceParameters;
  iceCandidates: types.IceCandidate[];
  dtlsParameters: types.DtlsParameters;
}

/** The ICE candidates of the answer, as sdp-transform writes them. */
export function candidatesOf(transport: Pick<AnswerTransport, 'iceCandidates'>) {
  return transport.iceCandidates.map((c) => ({
    foundation: c.foundation,
    component: 1,
    transport: c.protocol,
    priority: c.priority,
    ip: c.address,
    port: c.port,
    type: c.type,
    ...(c.tcpType ? { tcptype: c.tcpType } : {}),
  }));
}

/** The ice-lite answer: the taken m-lines received, the others refused with port 0. */
export function writeAnswer(offer: ParsedOffer, transport: AnswerTransport): string {
  const fp =
    transport.dtlsParameters.fingerprints.find((f) => f.algorithm === 'sha-256') ??
    transport.dtlsParameters.fingerprints[0]!;
  const candidates = candidatesOf(transport);
  const address = candidates[0]?.ip ?? '0.0.0.0';
  const ipVer = address.includes(':') ? 6 : 4;
  const taken = new Map(offer.tracks.map((t) => [t.mid, t]));
  const media = offer.sdp.media.map((m): sdpTransform.MediaDescription => {
    const track = m.mid !== undefined ? taken.get(String(m.mid)) : undefined;
    if (!track)
      return {
        type: m.type,
        port: 0,
        protocol: m.protocol,
        payloads: m.payloads ?? '',
        ...(m.mid !== undefined ? { mid: m.mid } : {}),
        direction: 'inactive',
        rtp: [],
        fmtp: [],
      };
    const codecs = track.rtpParameters.codecs;
    return {
      type: m.type,
      port: 9,
      protocol: 'UDP/TLS/RTP/SAVPF',
      payloads: codecs.map((c) => c.payloadType).join(' '),
      connection: { version: ipVer, ip: address },
      rtp: codecs.map((c) => ({
        payload: c.payloadType,
        codec: c.mimeType.split('/')[1]!,
        rate: c.clockRate,
        ...(c.channels ? { encoding: c.channels } : {}),
      })),
      fmtp: codecs
        .filter((c) => Object.keys(c.parameters ?? {}).length > 0)
        .map((c) => ({
          payload: c.payloadType,
          config: Object.entries(c.parameters ?? {})
            .filter(([k]) => k !== 'sprop-parameter-sets')
            .map(([k, v]) => `${k}=${v}`)
            .join(';'),
        })),
      rtcpFb: track.rtcpFeedback.map((f) => ({
        payload: codecs[0]!.payloadType,
        type: f.type,
        ...(f.parameter ? { subtype: f.parameter } : {}),
      })),
      ext: track.extensions.map((e) => ({ value: e.id, uri: e.uri })),
      mid: track.mid,
      direction: 'recvonly',
      iceUfrag: transport.iceParameters.usernameFragment,
      icePwd: transport.iceParameters.password,
      fingerprint: { type: fp.algorithm, hash: fp.value },
      setup: offer.dtls.role === 'client' ? 'passive' : 'active',
      rtcpMux: 'rtcp-mux',
      rtcpRsize: 'rtcp-rsize',
      candidates,
      endOfCandidates: 'end-of-candidates',
    };
  });
  return sdpTransform.write({
    version: 0,
    origin: {
      username: '-',
      sessionId: Date.now(),
      sessionVersion: 1,
      netType: 'IN',
      ipVer: 4,
      address: '127.0.0.1',
    },
    name: '-',
    timing: { start: 0, stop: 0 },
    icelite: 'ice-lite',
    groups: [{ type: 'BUNDLE', mids: offer.tracks.map((t) => t.mid).join(' ') }],
    msidSemantic: { semantic: 'WMS', token: '*' },
    media,
  });
}

/** The ICE credentials of a trickle or restart fragment (RFC 8840 sdpfrag), if any. */
export function fragmentUfrag(fragment: string): string | undefined {
  return /^a=ice-ufrag:(\S+)/m.exec(fragment)?.[1];
}
