import t from 'tap';
import { extendSeq, RtpStream } from '../../loadtest/light/RtpStream.js';
import {
  isRtcp,
  nack,
  parseRtpHeader,
  parseVp8,
  pli,
  receiverReport,
  senderReports,
  transportCcFeedback,
} from '../../loadtest/light/rtpWire.js';

// The light site's wire formats, checked against hand-made packets (RFC 3550, 4585, 7741,
// transport-wide-cc-01), and its receive logic fed a stream with a hole.

function rtp(seq: number, opts: { marker?: boolean; twcc?: number; ts?: number } = {}): Buffer {
  const ext = opts.twcc !== undefined;
  const b = Buffer.alloc(12 + (ext ? 8 : 0) + 20);
  b[0] = 0x80 | (ext ? 0x10 : 0);
  b[1] = (opts.marker ? 0x80 : 0) | 101;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(opts.ts ?? 3000, 4);
  b.writeUInt32BE(0xabcdef01, 8);
  if (ext) {
    b.writeUInt16BE(0xbede, 12);
    b.writeUInt16BE(1, 14);
    b[16] = (3 << 4) | 1; // id 3, 2 bytes
    b.writeUInt16BE(opts.twcc!, 17);
  }
  return b;
}

t.test('RTP header: sequence, marker, transport-cc extension, payload offset', async (t) => {
  const h = parseRtpHeader(rtp(65535, { marker: true, twcc: 777 }), 3)!;
  t.equal(h.sequenceNumber, 65535);
  t.equal(h.marker, true);
  t.equal(h.ssrc, 0xabcdef01);
  t.equal(h.twcc, 777);
  t.equal(h.payloadOffset, 20);
  t.equal(parseRtpHeader(rtp(1), 3)!.payloadOffset, 12);
  t.equal(isRtcp(pli(1, 2)), true);
  t.equal(isRtcp(rtp(1)), false);
});

t.test('VP8 descriptor: frame start, picture id, temporal layer, key frame size', async (t) => {
  // X=1 S=1 PID=0 | I=1 T=1 | M=1 picture id 0x1234 | TID=2 | key frame tag, start code, 1280×720
  const key = Buffer.from([
    0x90, 0xa0, 0x92, 0x34, 0x80, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x00, 0x05, 0xd0, 0x02,
  ]);
  const d = parseVp8(key)!;
  t.equal(d.frameStart, true);
  t.equal(d.pictureId, 0x1234);
  t.equal(d.temporalLayer, 2);
  t.equal(d.keyFrame, true);
  t.same([d.width, d.height], [1280, 720]);
  const delta = parseVp8(Buffer.from([0x90, 0x20, 0x40, 0x01, 0x00, 0x00]))!;
  t.equal(delta.keyFrame, false);
  t.equal(delta.temporalLayer, 1);
  t.equal(parseVp8(Buffer.from([0x80, 0x20, 0x00, 0x55]))!.frameStart, false, 'continuation');
});

t.test('RTCP: NACK bitmask, RR blocks, transport-cc feedback, SR', async (t) => {
  const n = nack(1, 2, [100, 101, 105, 200]);
  t.equal(n[1], 205);
  t.equal(n[0]! & 0x1f, 1);
  t.equal(n.readUInt16BE(12), 100);
  t.equal(n.readUInt16BE(14), 0b10001, '101 and 105 in the mask');
  t.equal(n.readUInt16BE(16), 200);
  t.equal(n.length, (n.readUInt16BE(2) + 1) * 4);

  const rr = receiverReport(7, [
    {
      ssrc: 9,
      fractionLost: 12,
      cumulativeLost: 3,
      extendedHighestSeq: 70000,
      jitter: 4,
      lsr: 5,
      dlsr: 6,
    },
  ]);
  t.equal(rr[1], 201);
  t.equal(rr[0]! & 0x1f, 1);
  t.equal(rr.readUInt32BE(8), 9);
  t.equal(rr[12], 12);
  t.equal(rr.readUIntBE(13, 3), 3);
  t.equal(rr.readUInt32BE(16), 70000);

  const fb = transportCcFeedback(1, 2, 65534, [64_000, undefined, 64_500, 200_000], 9)!;
  t.equal(fb[1], 205);
  t.equal(fb[0]! & 0x1f, 15);
  t.equal(fb.length % 4, 0);
  t.equal(fb.length, (fb.readUInt16BE(2) + 1) * 4);
  t.equal(fb.readUInt16BE(12), 65534, 'base sequence');
  t.equal(fb.readUInt16BE(14), 4, 'status count');
  t.equal(fb.readUIntBE(16, 3), 1, 'reference time in 64 ms');
  t.equal(fb[19], 9);
  // chunks: small×1, not received×1, small×1, large×1 (run-length)
  t.same(
    [0, 1, 2, 3].map((k) => fb.readUInt16BE(20 + 2 * k)),
    [(1 << 13) | 1, 1, (1 << 13) | 1, (2 << 13) | 1],
  );
  t.same([fb[28], fb[29]], [0, 2], 'deltas 0 and 500 µs in 250 µs');
  t.equal(fb.readInt16BE(30), 542, 'large delta 135.5 ms');

  const sr = Buffer.alloc(28);
  sr[0] = 0x80;
  sr[1] = 200;
  sr.writeUInt16BE(6, 2);
  sr.writeUInt32BE(42, 4);
  sr.writeUInt32BE(0x11223344, 8);
  sr.writeUInt32BE(0x55667788, 12);
  t.same(senderReports(Buffer.concat([sr, pli(1, 2)])), [{ ssrc: 42, ntpMiddle: 0x33445566 }]);
});

t.test('sequence extension across the wrap', async (t) => {
  t.equal(extendSeq(-1, 5), 5);
  t.equal(extendSeq(65535, 2), 65538);
  t.equal(extendSeq(65538, 65534), 65534);
  t.equal(extendSeq(3 * 65536 + 10, 9), 3 * 65536 + 9);
});

t.test(
  'a stream with a hole: NACK, recovery by RTX, whole frames, PLI when given up',
  async (t) => {
    const nacks: number[][] = [];
    let plis = 0;
    const s = new RtpStream(0xabcdef01, 'video', 90_000, 0x1111, {
      nack: (_ssrc, seqs) => nacks.push(seqs),
      pli: () => plis++,
    });
    const key = Buffer.from([0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x00, 0x05, 0xd0, 0x02]);
    const cont = Buffer.from([0x00, 0x11]);
    const feed = (seq: number, head: Buffer, ts: number, marker: boolean, now: number) =>
      s.receive(
        parseRtpHeader(rtp(seq, { marker, ts }), undefined)!,
        s.extend(seq),
        100,
        head,
        now,
      );
    feed(65534, key, 1000, false, 0);
    feed(65535, cont, 1000, true, 1);
    t.equal(s.figures.keyFrames, 1, 'a whole key frame');
    t.equal(s.firstFrameAt, 1);
    t.same(s.keyFrameSize, { width: 1280, height: 720 });
    // Frame 2 after the wrap: packets 0, 1, 3 (2 is missing).
    feed(0, Buffer.from([0x10, 0x01]), 4000, false, 10);
    feed(1, cont, 4000, false, 10);
    t.same(nacks, [], 'no hole yet');
    feed(3, cont, 4000, true, 12);
    t.same(nacks, [[65538]], 'NACK for the hole (extended 65538)');
    t.equal(s.figures.frames, 1, 'the frame with a hole is not whole');
    t.equal(s.lost, 1);
    s.recovered(2, 100);
    t.equal(s.lost, 0, 'RTX filled it');
    t.equal(s.figures.retransmitsUsed, 1);
    // A hole that is never filled: NACKed again, then given up and a key frame asked for.
    feed(5, Buffer.from([0x10, 0x01]), 7000, true, 20);
    s.tick(200);
    t.equal(nacks.length, 3, 'asked again after 100 ms');
    s.tick(1100);
    t.equal(plis, 1, 'PLI when the hole is given up');
    t.equal(s.lost, 1);
    const block = s.reportBlock(1200)!;
    t.equal(block.cumulativeLost, 1);
    t.equal(block.extendedHighestSeq, 65541);
  },
);
