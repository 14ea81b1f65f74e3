import * as sdpTransform from 'sdp-transform';
import t from 'tap';
import {
  buildAnswer,
  chooseFromOffer,
  H264_PROFILE,
  type LocalMedia,
} from '../../server/sip/sdpOffer.js';

// Offers as room systems send them (trimmed from published captures): a Poly Group with a dual
// SAVP/AVP offer ("best-effort SRTP") and a BFCP line, a Cisco with Baseline H.264 and G.711 only.
const key = 'WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz';
const polyDual = [
  'v=0',
  'o=GroupSeries 1 1 IN IP4 10.1.2.3',
  's=-',
  'c=IN IP4 10.1.2.3',
  't=0 0',
  'm=audio 49170 RTP/SAVP 9 0 8 101',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${key}|2^48`,
  'a=sendrecv',
  'm=video 49172 RTP/SAVP 109 34',
  'a=rtpmap:109 H264/90000',
  'a=fmtp:109 profile-level-id=64001f;packetization-mode=1;max-fs=3600;max-mbps=108000',
  'a=rtpmap:34 H263/90000',
  `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${key}`,
  'a=ssrc:12345 cname:poly',
  'm=audio 49174 RTP/AVP 9 0',
  'a=rtpmap:9 G722/8000',
  'm=video 49176 RTP/AVP 109',
  'a=rtpmap:109 H264/90000',
  'a=fmtp:109 profile-level-id=42801f;packetization-mode=1',
  'm=application 49178 UDP/BFCP *',
  'a=floorctrl:c-s',
  '',
].join('\r\n');

const ciscoPlain = [
  'v=0',
  'o=tandberg 1 2 IN IP4 192.0.2.9',
  's=-',
  'c=IN IP4 192.0.2.9',
  't=0 0',
  'm=audio 2326 RTP/AVP 0 8',
  'm=video 2328 RTP/AVP 97',
  'a=rtpmap:97 H264/90000',
  'a=fmtp:97 profile-level-id=42801f;packetization-mode=1',
  'a=rtcp:2400',
  '',
].join('\r\n');

t.test('a dual offer: the SAVP lines are taken, AVP and BFCP refused with port 0', async (t) => {
  const choice = chooseFromOffer(polyDual);
  t.same(
    choice.media.map((m) => [m.kind, m.index, m.codec.mimeType, m.crypto?.suite]),
    [
      ['audio', 0, 'audio/G722', 'AES_CM_128_HMAC_SHA1_80'],
      ['video', 1, 'video/H264', 'AES_CM_128_HMAC_SHA1_80'],
    ],
  );
  const video = choice.media[1]!;
  t.equal(
    video.codec.parameters['profile-level-id'],
    H264_PROFILE,
    'High answered as Constrained Baseline',
  );
  t.equal(video.codec.payloadType, 109, "the offer's payload type is kept");
  t.equal(video.ssrc, 12345, 'a=ssrc is read');
  t.equal(choice.media[0]!.crypto?.keyBase64, key, 'the key without its lifetime');

  const local = new Map<number, LocalMedia>(
    choice.media.map((m, i) => [
      m.index,
      {
        kind: m.kind,
        port: 42000 + 2 * i,
        codec: m.codec,
        rtcpMux: false,
        crypto: { tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', keyBase64: 'b3Vy' },
        direction: 'sendrecv',
      },
    ]),
  );
  const answer = sdpTransform.parse(
    buildAnswer(choice, local, { ip: '203.0.113.5', sessionId: 1, version: 1 }),
  );
  t.same(
    answer.media.map((m) => [m.type, m.port, m.protocol]),
    [
      ['audio', 42000, 'RTP/SAVP'],
      ['video', 42002, 'RTP/SAVP'],
      ['audio', 0, 'RTP/AVP'],
      ['video', 0, 'RTP/AVP'],
      ['application', 0, 'UDP/BFCP'],
    ],
    'every offered line answered in order',
  );
  t.match(answer.media[1]!.fmtp[0]!.config, /profile-level-id=42e01f/);
  t.equal(answer.media[0]!.crypto?.[0]?.config, 'inline:b3Vy', 'our own key');
});

t.test('a plain offer with Baseline H.264 and G.711 only', async (t) => {
  const choice = chooseFromOffer(ciscoPlain);
  t.same(
    choice.media.map((m) => [m.kind, m.codec.mimeType, m.codec.payloadType, m.remoteRtcpPort]),
    [
      ['audio', 'audio/PCMU', 0, 2327],
      ['video', 'video/H264', 97, 2400],
    ],
  );
  t.notOk(choice.media[0]!.crypto, 'no SRTP');
});

t.test('nothing usable: no line taken (the call gets 488)', async (t) => {
  const h263 = ciscoPlain
    .replace('m=audio 2326 RTP/AVP 0 8', 'm=audio 2326 RTP/AVP 18\r\na=rtpmap:18 G729/8000')
    .replace(/a=rtpmap:97 H264.*\r\na=fmtp:97.*\r\n/, 'a=rtpmap:97 H263-1998/90000\r\n');
  t.equal(chooseFromOffer(h263).media.length, 0);
  const savpWithoutKey = ciscoPlain.replace(/RTP\/AVP/g, 'RTP/SAVP');
  t.equal(chooseFromOffer(savpWithoutKey).media.length, 0, 'SAVP without a=crypto is refused');
});

t.test('hold: c=0.0.0.0 and a=sendonly read as a held direction', async (t) => {
  const held = chooseFromOffer(ciscoPlain.replace('c=IN IP4 192.0.2.9', 'c=IN IP4 0.0.0.0'));
  t.ok(held.media.every((m) => m.direction === 'inactive'));
  const sendonly = chooseFromOffer(ciscoPlain.replace('t=0 0', 't=0 0\r\na=sendonly'));
  t.ok(sendonly.media.every((m) => m.direction === 'sendonly'));
});
