import t from 'tap';
import { describeZodError } from '../../protocol/errors.js';
import { requests } from '../../protocol/socket.js';

/*
 * Media parameters are bounded in the shared schemas, so a malformed value is the client's
 * bad_request naming the field instead of an "internal" error from the worker (or a value the
 * worker accepts and relays). The values are the ones an attack on the running service got in.
 */

const chromeVideo = {
  mid: '1',
  codecs: [
    {
      mimeType: 'video/VP8',
      payloadType: 96,
      clockRate: 90000,
      parameters: {},
      rtcpFeedback: [
        { type: 'goog-remb', parameter: '' },
        { type: 'nack' },
        { type: 'nack', parameter: 'pli' },
      ],
    },
    {
      mimeType: 'video/rtx',
      payloadType: 97,
      clockRate: 90000,
      parameters: { apt: 96 },
      rtcpFeedback: [],
    },
  ],
  headerExtensions: [
    { uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 4, encrypt: false, parameters: {} },
    {
      uri: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
      id: 3,
      encrypt: false,
      parameters: {},
    },
  ],
  encodings: [
    {
      rid: 'r0',
      scaleResolutionDownBy: 4,
      maxBitrate: 150000,
      scalabilityMode: 'L1T3',
      dtx: false,
    },
    { rid: 'r1', scaleResolutionDownBy: 2, maxBitrate: 500000, scalabilityMode: 'L1T3' },
    { ssrc: 1234, rtx: { ssrc: 5678 }, maxBitrate: 1200000, scalabilityMode: 'L1T3' },
  ],
  rtcp: { cname: 'xK3v9Q2mZ1aB', reducedSize: true },
};

const produce = (rtpParameters: unknown) =>
  requests.produce.payload.safeParse({
    transportId: 't1',
    kind: 'video',
    source: 'camera',
    rtpParameters,
  });

function broken(edit: (p: typeof chromeVideo) => void) {
  const copy = structuredClone(chromeVideo);
  edit(copy);
  return copy;
}

t.test('what a browser sends passes', async (t) => {
  const r = produce(chromeVideo);
  t.ok(r.success, r.success ? 'parsed' : describeZodError(r.error));
});

const cases: [string, (p: typeof chromeVideo) => void, RegExp][] = [
  [
    'payload type 99999',
    (p) => {
      p.codecs[0]!.payloadType = 99999;
    },
    /codecs\.0\.payloadType/,
  ],
  [
    'payload type -1',
    (p) => {
      p.codecs[0]!.payloadType = -1;
    },
    /codecs\.0\.payloadType/,
  ],
  [
    'path-like mimeType',
    (p) => {
      p.codecs[0]!.mimeType = 'video/../../x';
    },
    /codecs\.0\.mimeType/,
  ],
  [
    'ssrc -1',
    (p) => {
      p.encodings[2]!.ssrc = -1;
    },
    /encodings\.2\.ssrc/,
  ],
  [
    'ssrc 2^53',
    (p) => {
      p.encodings[2]!.ssrc = 2 ** 53;
    },
    /encodings\.2\.ssrc/,
  ],
  [
    'rtx ssrc equal to the media ssrc',
    (p) => {
      p.encodings[2]!.rtx = { ssrc: 1234 };
    },
    /encodings\.2\.rtx\.ssrc/,
  ],
  [
    'scalability mode L99T99',
    (p) => {
      p.encodings[0]!.scalabilityMode = 'L99T99';
    },
    /encodings\.0\.scalabilityMode/,
  ],
  [
    'a 100 kB CNAME',
    (p) => {
      p.rtcp.cname = 'x'.repeat(100_000);
    },
    /rtcp\.cname/,
  ],
  [
    'header extension id 0',
    (p) => {
      p.headerExtensions[0]!.id = 0;
    },
    /headerExtensions\.0\.id/,
  ],
  [
    'header extension id 4096',
    (p) => {
      p.headerExtensions[1]!.id = 4096;
    },
    /headerExtensions\.1\.id/,
  ],
];

t.test('out-of-bounds media parameters are refused naming the field', async (t) => {
  for (const [name, edit, field] of cases) {
    const r = produce(broken(edit));
    t.notOk(r.success, `${name}: refused`);
    if (!r.success) t.match(describeZodError(r.error), field, `${name}: names ${field}`);
  }
});

t.test('router capabilities from the page are bounded too', async (t) => {
  const caps = (c: unknown) =>
    requests.setRtpCapabilities.payload.safeParse({ rtpCapabilities: c });
  t.ok(
    caps({
      codecs: [
        {
          kind: 'audio',
          mimeType: 'audio/opus',
          preferredPayloadType: 100,
          clockRate: 48000,
          channels: 2,
        },
      ],
    }).success,
  );
  const bad = caps({
    codecs: [
      { kind: 'audio', mimeType: 'audio/opus', preferredPayloadType: 300, clockRate: 48000 },
    ],
  });
  t.notOk(bad.success);
  if (!bad.success) t.match(describeZodError(bad.error), /codecs\.0\.preferredPayloadType/);
});
