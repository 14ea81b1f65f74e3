import t from 'tap';
import type { Participant, SessionState } from '../../protocol/socket.js';
import {
  type LiveDataReceiver,
  participantsFor,
  sessionStateFor,
} from '../../signaling/liveDataRules.js';

const quality = {
  grade: 'poor' as const,
  sendKbps: 300,
  recvKbps: 900,
  lossUpPercent: 4,
  lossDownPercent: 2,
  rttMs: 180,
};
const base = {
  online: true,
  handRaised: false,
  mutedByChair: false,
  selfMuted: false,
  hasFloor: false,
  sources: ['camera' as const, 'microphone' as const],
};
const everyone: Participant[] = [
  { ...base, endpointId: 'station', role: 'station', name: 'Hội trường Sở', quality },
  { ...base, endpointId: 'chair', role: 'chair', name: 'Chủ trì', sources: [] },
  { ...base, endpointId: 'it:u1', role: 'it', name: 'Tổ CNTT (an)' },
  {
    ...base,
    endpointId: 'site:a',
    role: 'site',
    siteId: 'a',
    name: 'Đà Bắc',
    quality,
    handRaised: true,
  },
  {
    ...base,
    endpointId: 'site:b',
    role: 'site',
    siteId: 'b',
    name: 'Mai Châu',
    quality,
    mutedByChair: true,
    handRaised: true,
  },
  {
    ...base,
    endpointId: 'site:c',
    role: 'site',
    siteId: 'c',
    name: 'Lạc Sơn',
    quality,
    hasFloor: true,
    selfMuted: true,
  },
];
const state: SessionState = {
  meetingId: 'm1',
  status: 'live',
  agendaIndex: 2,
  floorSiteId: 'c',
  handQueue: ['b', 'a'],
  activeSpeakerEndpointId: 'site:b',
};

const chair: LiveDataReceiver = { role: 'chair', endpointId: 'chair' };
const it: LiveDataReceiver = { role: 'it', endpointId: 'it:u1' };
const station: LiveDataReceiver = { role: 'station', endpointId: 'station' };
const siteA: LiveDataReceiver = { role: 'site', siteId: 'a', endpointId: 'site:a' };
const siteD: LiveDataReceiver = { role: 'site', siteId: 'd', endpointId: 'site:d' };

// receiver, what it sees of each participant: 'full' | 'face' (no quality/hand/mutes) | 'noQuality' | 'hidden'
const table: [
  string,
  LiveDataReceiver,
  Record<string, 'full' | 'face' | 'noQuality' | 'hidden'>,
][] = [
  [
    'chair',
    chair,
    {
      station: 'full',
      chair: 'full',
      'it:u1': 'full',
      'site:a': 'full',
      'site:b': 'full',
      'site:c': 'full',
    },
  ],
  [
    'IT',
    it,
    {
      station: 'full',
      chair: 'full',
      'it:u1': 'full',
      'site:a': 'full',
      'site:b': 'full',
      'site:c': 'full',
    },
  ],
  [
    'station',
    station,
    {
      station: 'full',
      chair: 'noQuality',
      'it:u1': 'noQuality',
      'site:a': 'noQuality',
      'site:b': 'noQuality',
      'site:c': 'noQuality',
    },
  ],
  [
    'site a (hand up)',
    siteA,
    {
      station: 'face',
      chair: 'face',
      'it:u1': 'hidden',
      'site:a': 'full',
      'site:b': 'hidden',
      'site:c': 'face',
    },
  ],
  [
    'site d (not listed yet)',
    siteD,
    {
      station: 'face',
      chair: 'face',
      'it:u1': 'hidden',
      'site:a': 'hidden',
      'site:b': 'hidden',
      'site:c': 'face',
    },
  ],
];

t.test('participants each receiver may see', async (t) => {
  for (const [name, receiver, expected] of table) {
    const seen = new Map(participantsFor(receiver, everyone).map((p) => [p.endpointId, p]));
    for (const original of everyone) {
      const want = expected[original.endpointId]!;
      const got = seen.get(original.endpointId);
      const what = `${name} → ${original.endpointId}: ${want}`;
      if (want === 'hidden') t.notOk(got, what);
      else if (want === 'full') t.same(got, original, what);
      else if (want === 'noQuality') {
        const { quality: _q, ...rest } = original;
        t.same(got, rest, what);
      } else {
        t.ok(got, what);
        t.notOk(got?.quality, `${what}: no quality`);
        t.same(
          [got?.handRaised, got?.mutedByChair, got?.selfMuted],
          [false, false, false],
          `${what}: no hand or mute state`,
        );
        t.same(
          [got?.name, got?.online, got?.hasFloor, got?.sources],
          [original.name, original.online, original.hasFloor, original.sources],
          `${what}: name, presence, floor, media`,
        );
      }
    }
  }
});

t.test(
  'session state: a site sees the floor and its own place in the hand queue only',
  async (t) => {
    t.same(sessionStateFor(chair, state), state, 'the chair sees the queue');
    t.same(sessionStateFor(it, state), state);
    t.same(sessionStateFor(station, state), state);
    const a = sessionStateFor(siteA, state);
    t.same(a.handQueue, ['a']);
    t.equal(a.handPosition, 2, 'second in the queue');
    t.equal(a.floorSiteId, 'c', 'who has the floor');
    t.notOk(a.activeSpeakerEndpointId, 'not which other site is speaking');
    const d = sessionStateFor(siteD, state);
    t.same(d.handQueue, []);
    t.notOk(d.handPosition);
    t.equal(
      sessionStateFor(siteA, { ...state, activeSpeakerEndpointId: 'site:c' })
        .activeSpeakerEndpointId,
      'site:c',
      'the floor site speaking is shown',
    );
    t.equal(
      sessionStateFor(siteA, { ...state, activeSpeakerEndpointId: 'station' })
        .activeSpeakerEndpointId,
      'station',
    );
  },
);
