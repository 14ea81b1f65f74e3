import t from 'tap';
import { mediaPathAdvice, mediaPathLabel } from '../../protocol/mediaPath.js';
import { selectedPathOf } from '../../web/client/mediaPath.js';

// The path a page reports is read from its selected ICE pair; these are Chromium's stats shapes.
const report = (local: Record<string, unknown>) =>
  new Map<string, Record<string, unknown>>([
    ['T1', { id: 'T1', type: 'transport', selectedCandidatePairId: 'CP1' }],
    ['CP1', { id: 'CP1', type: 'candidate-pair', localCandidateId: 'L1', nominated: true }],
    ['L1', { id: 'L1', type: 'local-candidate', ...local }],
  ]) as unknown as RTCStatsReport;

t.test('the selected pair names the path', async (t) => {
  t.same(selectedPathOf(report({ candidateType: 'host', protocol: 'udp' })), {
    path: 'udp',
    candidateType: 'host',
    protocol: 'udp',
  });
  t.equal(selectedPathOf(report({ candidateType: 'host', protocol: 'tcp' })).path, 'tcp');
  t.equal(selectedPathOf(report({ candidateType: 'prflx', protocol: 'udp' })).path, 'udp');
  const tls = selectedPathOf(
    report({
      candidateType: 'relay',
      protocol: 'udp',
      relayProtocol: 'tls',
      url: 'turns:10.229.1.2:443?transport=tcp',
    }),
  );
  t.same(tls, { path: 'turn_tls', candidateType: 'relay', protocol: 'tcp', relayPort: 443 });
  t.same(mediaPathLabel(tls.path, tls.relayPort), { vi: 'TURN/TLS 443', en: 'TURN/TLS 443' });
  const turnUdp = selectedPathOf(
    report({ candidateType: 'relay', relayProtocol: 'udp', url: 'turn:turn.example.vn' }),
  );
  t.same([turnUdp.path, turnUdp.relayPort], ['turn_udp', 3478], 'the default TURN port');
  t.equal(selectedPathOf(undefined).path, 'unknown', 'no transport yet');
  t.same(mediaPathLabel('unknown'), { vi: 'chưa rõ', en: 'unknown' });
});

t.test('every path has advice in both languages', async (t) => {
  for (const [path, text] of Object.entries(mediaPathAdvice)) {
    t.ok(text.vi.length > 20 && text.en.length > 20, path);
    t.not(text.vi, text.en, `${path}: Vietnamese is its own text`);
  }
});
