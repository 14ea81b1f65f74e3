import t from 'tap';
import { type CheckFigures, evaluateCheck } from '../../protocol/check/index.js';
import {
  assessCheck,
  audioMos,
  bandwidthText,
  uplinkBandwidth,
} from '../../protocol/check/score.js';

// The grade people read and the bandwidth figure with its method: pure functions of the figures.
const th = {
  maxRttMs: 200,
  maxLossPercent: 1,
  maxJitterMs: 30,
  minUplinkKbps: 1200,
  minDownlinkKbps: 1500,
};
const sender = {
  cpuLimitedPercent: 0,
  bandwidthLimitedPercent: 0,
  limitation: 'none' as const,
  sentHeight: 360,
  sentFps: 30,
  targetKbps: 1875,
  encodeMs: 3,
  estimateKbps: 2500,
  sentKbps: 1800,
  probeKbps: 1875,
  probeSentKbps: 1850,
};
function figures(over: Partial<CheckFigures> = {}): CheckFigures {
  return {
    signalingMs: 30,
    candidateType: 'host',
    protocol: 'udp',
    uplink: { kbps: 1800, lossPercent: 0, jitterMs: 3, packets: 1200, durationMs: 6000 },
    uplinkProbe: {
      kbps: 1790,
      lossPercent: 0,
      jitterMs: 2,
      packets: 480,
      durationMs: 2500,
      wireKbps: 1880,
    },
    downlink: {
      kbps: 1760,
      lossPercent: 0,
      jitterMs: 4,
      rttMs: 3,
      framesDecoded: 180,
      durationMs: 6000,
    },
    micLevel: 0.1,
    cameraLuma: 100,
    sender,
    ...over,
  };
}

t.test('E-model MOS: clean, lossy, slow', async (t) => {
  t.ok(audioMos(3, 3, 0).mos >= 4.3, `clean ${audioMos(3, 3, 0).mos}`);
  const lossy = audioMos(3, 3, 5).mos;
  t.ok(lossy > 3.6 && lossy < 4, `5 % loss: ${lossy}`);
  t.ok(audioMos(600, 40, 0).mos < 4, `600 ms RTT: ${audioMos(600, 40, 0).mos}`);
  t.ok(audioMos(3, 3, 30).mos < 3.1, 'heavy loss: unusable');
});

t.test('a healthy site: good, enough for 720p, bandwidth at least what arrived', async (t) => {
  const a = assessCheck(figures());
  t.equal(a.grade, 'good');
  t.same(a.uplink, {
    kbps: 1880,
    bound: 'at-least',
    method: 'calibrated-sender',
    confidence: 'high',
  });
  t.match(a.video.text.vi, /^đủ cho 720p, 30 hình\/giây/);
  t.match(bandwidthText(a.uplink, 'vi'), /^≥ 1880 kbps \(luồng thử hiệu chuẩn/);
  t.same(evaluateCheck(figures(), th).reasons, []);
});

t.test('a thin uplink: the probe pushed, the link let through 560 kbps', async (t) => {
  const f = figures({
    uplink: {
      kbps: 440,
      lossPercent: 0,
      jitterMs: 3,
      packets: 500,
      durationMs: 6000,
      wireKbps: 520,
    },
    uplinkProbe: {
      kbps: 450,
      lossPercent: 35,
      jitterMs: 40,
      packets: 240,
      durationMs: 2500,
      wireKbps: 562,
    },
    downlink: {
      kbps: 420,
      lossPercent: 0,
      jitterMs: 4,
      rttMs: 5,
      framesDecoded: 120,
      durationMs: 6000,
    },
    sender: { ...sender, estimateKbps: 454, sentKbps: 400, probeSentKbps: 639 },
  });
  const a = assessCheck(f);
  t.equal(a.uplink.kbps, 562);
  t.equal(a.uplink.bound, 'about');
  t.equal(a.uplink.confidence, 'medium');
  t.match(a.video.text.vi, /^chỉ đủ cho 360p/);
  t.equal(a.grade, 'fair');
  const up = evaluateCheck(f, th).reasons.find((r) => r.code === 'uplink_low');
  t.equal(up?.measured, 562, 'the verdict uses the probed figure');
  t.equal(up?.severity, 'fail', 'under half the threshold');
});

t.test('an encoder that could not reach the rate on a good link: not the link', async (t) => {
  const f = figures({
    uplink: {
      kbps: 1000,
      lossPercent: 0,
      jitterMs: 3,
      packets: 900,
      durationMs: 6000,
      wireKbps: 1060,
    },
    uplinkProbe: {
      kbps: 1000,
      lossPercent: 0,
      jitterMs: 2,
      packets: 400,
      durationMs: 2500,
      wireKbps: 1080,
    },
    sender: { ...sender, estimateKbps: 2600, sentKbps: 1000, probeSentKbps: 1020 },
  });
  t.equal(uplinkBandwidth(f).bound, 'at-least');
  t.equal(uplinkBandwidth(f).confidence, 'low');
  const codes = evaluateCheck(f, th).reasons.map((r) => [r.code, r.severity]);
  t.same(
    codes.filter(([c]) => String(c).startsWith('uplink')),
    [['uplink_not_measured', 'info']],
    'said, not failed',
  );
});

t.test('a starved computer: bandwidth not measured, grade at most fair', async (t) => {
  const f = figures({
    uplink: { kbps: 600, lossPercent: 0, jitterMs: 3, packets: 700, durationMs: 6000 },
    uplinkProbe: { kbps: 650, lossPercent: 0, jitterMs: 2, packets: 300, durationMs: 2500 },
    sender: { ...sender, cpuLimitedPercent: 80, limitation: 'cpu', probeSentKbps: 640 },
  });
  const a = assessCheck(f);
  t.equal(a.uplink.kbps, undefined, 'not measured');
  t.match(bandwidthText(a.uplink, 'vi'), /^chưa đo được \(máy tính không mã hoá kịp/);
  t.not(a.grade, 'good');
  t.match(a.summary.vi, /máy tính xử lý không kịp/);
});

t.test('older results without a probe are still assessed', async (t) => {
  const { uplinkProbe: _, ...f } = figures();
  const a = assessCheck({ ...f, sender: { ...sender, probeKbps: undefined } } as CheckFigures);
  t.equal(a.uplink.method, 'encoder');
  t.equal(a.uplink.bound, 'at-least');
});
