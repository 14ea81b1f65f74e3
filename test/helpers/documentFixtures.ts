import type { AttendanceSummary, MeetingRecord } from '../../protocol/attendance.js';
import type { CheckResult } from '../../protocol/check/index.js';
import type { Meeting } from '../../protocol/meetings.js';
import type { MeetingReadiness } from '../../protocol/readiness.js';
import type { Site } from '../../protocol/sites.js';

/*
 * One meeting with every field a person types filled with text that would become markup, a
 * template expression or a broken style sheet if a document ever stopped escaping it, for the
 * three printable documents (convocation, attendance report and record, readiness report).
 */

/** What a hostile or careless user can type; each field gets all of it, tagged with its name. */
export const hostilePayloads = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(2)>',
  "'><svg onload=alert(3)>",
  '</style><style>body{display:none}</style>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template expression typed as text
  '{{constructor.constructor("alert(4)")()}} ${process.exit()}',
  'Phòng GD&ĐT Đà Bắc – Trường THCS Mỹ Hóa, Nguyễn Thị Ửng; “đậm” & <b>nghiêng</b>',
];

/** The text a field holds: its name, then every payload. */
export const hostile = (field: string) => `${field}: ${hostilePayloads.join(' ')}`;

const at = (day: string, time: string) => `2013-03-${day}T${time}:00+07:00`;

function site(id: string, field: string, extra: Partial<Site> = {}): Site {
  return {
    id,
    version: 1,
    name: hostile(`${field} name`),
    kind: 'district_office',
    hostUnit: hostile(`${field} host unit`),
    address: hostile(`${field} address`),
    technician: {
      name: hostile(`${field} technician`),
      phone: '0912 345 678',
      email: 'kythuat@example.vn',
    },
    attendingUnits: [hostile(`${field} attending unit`)],
    createdAt: at('01', '08:00'),
    updatedAt: at('01', '08:00'),
    ...extra,
  };
}

export const hostileSites: Site[] = [
  site('main', 'main site'),
  site('s1', 'site 1'),
  site('s2', 'site 2'),
];
export const hostileSiteMap = new Map(hostileSites.map((s) => [s.id, s]));

export const hostileMeeting: Meeting = {
  id: 'm1',
  version: 1,
  state: 'scheduled',
  title: hostile('title'),
  banner: `${hostile('banner line 1')}\n${hostile('banner line 2')}`,
  organizer: hostile('organizer'),
  chair: hostile('chair'),
  opensAt: at('11', '07:30'),
  closesAt: at('11', '17:00'),
  checkAt: at('08', '08:00'),
  checkAtDefault: false,
  checkDurationMinutes: 60,
  mainSite: {
    siteId: 'main',
    composition: [{ role: hostile('main role'), count: 3 }],
    expectedCount: 20,
    note: `${hostile('main note line 1')}\n${hostile('main note line 2')}`,
  },
  sites: [
    { siteId: 's1', composition: [{ role: hostile('site role') }], expectedCount: 8 },
    { siteId: 's2', composition: [{ role: hostile('site role') }], note: hostile('site 2 note') },
  ],
  agenda: [
    {
      startsAt: at('11', '07:30'),
      title: hostile('agenda 1'),
      presenter: hostile('presenter'),
      isBreak: false,
    },
    { startsAt: at('11', '09:30'), title: hostile('break'), isBreak: true },
    { startsAt: at('11', '13:30'), title: hostile('agenda 3'), siteId: 's1', isBreak: false },
  ],
  requirements: [`${hostile('requirement line 1')}\n${hostile('requirement line 2')}`],
  letter: {
    authority: hostile('authority'),
    number: hostile('number'),
    subject: hostile('subject'),
    place: hostile('place'),
    date: '2013-03-04',
    addressees: [hostile('addressee')],
    preamble: `${hostile('preamble 1')}\n\n${hostile('preamble 2')}`,
    distribution: [hostile('distribution 1'), hostile('distribution 2')],
    signerTitle: `${hostile('signer title 1')}\n${hostile('signer title 2')}`,
    signerName: hostile('signer name'),
  },
  attachments: [
    {
      id: 'a1',
      kind: 'link',
      title: hostile('attachment link'),
      url: 'https://example.vn/"><img src=x onerror=alert(5)>',
      addedAt: at('01', '08:00'),
    },
    { id: 'a2', kind: 'file', title: hostile('attachment file'), addedAt: at('01', '08:00') },
  ],
  createdAt: at('01', '08:00'),
  updatedAt: at('01', '08:00'),
};

const actor = { kind: 'technician' as const, id: 't1', name: 'kỹ thuật' };

export const hostileSummary: AttendanceSummary = {
  meetingId: 'm1',
  rows: [
    {
      siteId: 's1',
      siteName: hostile('attendance site 1'),
      expected: 8,
      composition: [],
      confirmation: {
        siteId: 's1',
        roles: [
          { role: hostile('present role 1'), present: 2 },
          { role: hostile('present role 2'), present: 5 },
        ],
        headCount: 7,
        note: hostile('attendance note'),
        confirmedAt: at('11', '07:20'),
        confirmedBy: actor,
      },
      intervals: [
        { joinedAt: at('11', '07:15'), leftAt: at('11', '08:01') },
        { joinedAt: at('11', '08:03') },
      ],
      minutesConnected: 120,
      dropouts: 1,
      online: true,
    },
    {
      siteId: 's2',
      siteName: hostile('attendance site 2'),
      composition: [],
      intervals: [],
      minutesConnected: 0,
      dropouts: 0,
      online: false,
    },
  ],
  totals: { sites: 2, confirmed: 1, expected: 8, present: 7, online: 1 },
};

export const hostileRecord: MeetingRecord = {
  minutes: [
    {
      agendaIndex: 0,
      conclusion: `${hostile('conclusion line 1')}\n${hostile('conclusion line 2')}`,
      updatedAt: at('11', '08:00'),
      updatedBy: actor,
    },
  ],
  floor: [
    {
      siteId: 's1',
      siteName: hostile('floor site'),
      from: at('11', '08:10'),
      to: at('11', '08:20'),
    },
    { siteId: 's2', siteName: hostile('floor site 2'), from: at('11', '08:30') },
  ],
};

const lastCheck: CheckResult = {
  checkId: 'c1',
  kind: 'window',
  startedAt: at('08', '08:05'),
  finishedAt: at('08', '08:06'),
  durationMs: 60_000,
  verdict: 'degraded',
  figures: {
    signalingMs: 120,
    iceDtlsMs: 340,
    candidateType: 'relay',
    protocol: 'udp',
    path: 'turn_udp',
    relayPort: 443,
    downlink: {
      kbps: 1200,
      lossPercent: 1,
      jitterMs: 12,
      rttMs: 45,
      framesDecoded: 300,
      durationMs: 10_000,
    },
    uplink: { kbps: 1850, lossPercent: 0.5, jitterMs: 8, packets: 900, durationMs: 10_000 },
    micLevel: 0.2,
    cameraLuma: 120,
    speakersConfirmed: true,
  },
  reasons: [
    {
      code: 'uplink_low',
      severity: 'degraded',
      text: { vi: hostile('reason vi'), en: hostile('reason en') },
    },
  ],
};

export const hostileReadiness: MeetingReadiness = {
  meetingId: 'm1',
  counts: {
    unknown: 0,
    invited: 0,
    online: 0,
    checking: 0,
    ready: 0,
    degraded: 1,
    failed: 0,
    'no-show': 1,
  },
  sites: [
    {
      meetingId: 'm1',
      siteId: 's1',
      siteName: hostile('readiness site 1'),
      state: 'degraded',
      since: at('08', '08:06'),
      online: true,
      lastCheck,
      checklist: {
        items: {
          cameraFraming: true,
          microphone: true,
          display: false,
          backupPower: true,
          banner: false,
          seats: true,
        },
        seats: 18,
        note: hostile('checklist note'),
        confirmedAt: at('08', '08:10'),
        confirmedBy: 't1',
      },
      updatedAt: at('08', '08:10'),
    },
    {
      meetingId: 'm1',
      siteId: 's2',
      siteName: hostile('readiness site 2'),
      state: 'no-show',
      since: at('08', '09:00'),
      online: false,
      note: { vi: hostile('state note vi'), en: hostile('state note en') },
      updatedAt: at('08', '09:00'),
    },
  ],
  problems: [],
};
