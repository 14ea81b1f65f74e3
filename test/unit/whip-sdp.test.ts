import { readFileSync } from 'node:fs';
import type { types } from 'mediasoup';
import * as sdpTransform from 'sdp-transform';
import t from 'tap';
import { AppError } from '../../protocol/errors.js';
import { type AnswerTransport, parseOffer, writeAnswer } from '../../server/ingest/whipSdp.js';

// The offer Debian's simple-whip-client (GStreamer webrtcbin) sends: H.264 constrained
// baseline + Opus, bundled, no header extensions, one SSRC per m-line.
const offer = readFileSync(new URL('./fixtures/whip-offer-gstreamer.sdp', import.meta.url), 'utf8')
  .split('\n')
  .join('\r\n');

const router: types.RtpCapabilities = {
  codecs: [
    {
      kind: 'audio',
      mimeType: 'audio/opus',
      clockRate: 48000,
      channels: 2,
      preferredPayloadType: 100,
    },
    { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, preferredPayloadType: 101 },
    {
      kind: 'video',
      mimeType: 'video/rtx',
      clockRate: 90000,
      preferredPayloadType: 102,
      parameters: { apt: 101 },
    },
    {
      kind: 'video',
      mimeType: 'video/H264',
      clockRate: 90000,
      preferredPayloadType: 103,
      parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f' },
    },
  ],
  headerExtensions: [
    { kind: 'audio', uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', preferredId: 1 },
    { kind: 'video', uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', preferredId: 1 },
  ],
};

const transport: AnswerTransport = {
  iceParameters: { usernameFragment: 'srvufrag', password: 'srvpwd', iceLite: true },
  iceCandidates: [
    {
      foundation: 'udpcandidate',
      priority: 1076302079,
      ip: '203.0.113.7',
      address: '203.0.113.7',
      protocol: 'udp',
      port: 40000,
      type: 'host' as const,
    },
    {
      foundation: 'tcpcandidate',
      priority: 1076276479,
      ip: '203.0.113.7',
      address: '203.0.113.7',
      protocol: 'tcp',
      port: 40000,
      type: 'host' as const,
      tcpType: 'passive' as const,
    },
  ],
  dtlsParameters: {
    role: 'auto' as const,
    fingerprints: [{ algorithm: 'sha-256' as const, value: 'AB:CD' }],
  },
};

t.test('an offer becomes producer parameters', async (t) => {
  const parsed = parseOffer(offer, router);
  t.equal(parsed.dtls.role, 'client', 'actpass: the encoder opens DTLS');
  t.match(parsed.dtls.fingerprints[0], { algorithm: 'sha-256' });
  t.same(
    parsed.tracks.map((x) => [x.mid, x.kind, x.rtpParameters.codecs[0]!.mimeType]),
    [
      ['video0', 'video', 'video/H264'],
      ['audio1', 'audio', 'audio/OPUS'],
    ],
  );
  const video = parsed.tracks[0]!.rtpParameters;
  t.same(video.encodings, [{ ssrc: 2 }], 'the SSRC of the m-line');
  t.equal(video.codecs[0]!.payloadType, 96);
  t.equal(video.codecs[0]!.parameters?.['profile-level-id'], '42c01e');
  t.equal(video.rtcp?.cname, 'user3884099495@host-d3097c6e');
  t.same(
    video.codecs[0]!.rtcpFeedback?.map((f) => `${f.type} ${f.parameter}`.trim()),
    ['nack pli', 'ccm fir', 'transport-cc'],
  );
});

t.test('the answer is ice-lite, bundled, recvonly, with every candidate', async (t) => {
  const answer = sdpTransform.parse(writeAnswer(parseOffer(offer, router), transport));
  t.equal(answer.icelite, 'ice-lite');
  t.equal(answer.groups?.[0]?.mids, 'video0 audio1');
  for (const m of answer.media) {
    t.equal(m.direction, 'recvonly');
    t.equal(m.setup, 'passive');
    t.equal(m.iceUfrag, 'srvufrag');
    t.equal(m.candidates?.length, 2);
    t.equal(m.endOfCandidates, 'end-of-candidates');
  }
  t.equal(answer.media[0]!.rtp[0]!.codec, 'H264');
  t.notMatch(answer.media[0]!.fmtp[0]!.config, /sprop-parameter-sets/, 'no parameter sets echoed');
});

t.test('bad offers are refused naming sdp', async (t) => {
  const vp9 = offer
    .replace('a=rtpmap:96 H264/90000', 'a=rtpmap:96 VP9/90000')
    .replace(/m=audio[\s\S]*$/, '');
  for (const [name, text] of [
    ['not SDP', 'hello'],
    ['no m-line', 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n'],
    ['only VP9 video', vp9],
    [
      'H.264 high profile',
      offer
        .replace('profile-level-id=42c01e', 'profile-level-id=64001f')
        .replace(/m=audio[\s\S]*$/, ''),
    ],
  ] as const) {
    const err = t.throws(() => parseOffer(text, router), name) as unknown as AppError;
    t.ok(
      err instanceof AppError && err.status === 400 && err.message.startsWith('sdp:'),
      `${name}: 400 on sdp`,
    );
  }
});
