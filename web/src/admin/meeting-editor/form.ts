import { zodFields } from '../../../../protocol/errors.js';
import {
  type Letter,
  type Meeting,
  type MeetingInput,
  meetingInputSchema,
} from '../../../../protocol/meetings.js';
import { formatTime, vietnamDate } from '../../../../protocol/time.js';
import { type Lang, localize } from '../../i18n.js';
import {
  type ThresholdsForm,
  thresholdsFormOf,
  thresholdsInputOf,
} from '../CheckThresholdsEditor.js';
import { displayDate, isoOf, parseDate, parseTime } from './dates.js';

/**
 * The meeting form's model: what the fields hold (text as typed), how a meeting becomes a
 * form and a form becomes the request body, and the check before sending, which runs the
 * server's own schema (protocol/meetings.ts) so the browser and the server never disagree.
 */

export interface CompRow {
  role: string;
  count: string;
}
export interface SiteRow {
  siteId: string;
  composition: CompRow[];
  expectedCount: string;
}
export interface AgendaRow {
  key: number;
  time: string;
  title: string;
  presenter: string;
  siteId: string;
  isBreak: boolean;
}
export interface LetterForm {
  authority: string;
  number: string;
  place: string;
  date: string;
  subject: string;
  addressees: string;
  preamble: string;
  distribution: string;
  signerTitle: string;
  signerName: string;
}
export interface MeetingForm {
  title: string;
  banner: string;
  organizer: string;
  chair: string;
  date: string;
  opens: string;
  closes: string;
  checkDefault: boolean;
  checkDate: string;
  checkTime: string;
  checkDuration: string;
  main: SiteRow;
  sites: SiteRow[];
  agenda: AgendaRow[];
  requirements: string[];
  letter: LetterForm;
  thresholds: ThresholdsForm;
}

/** Field path ("agenda.2.title", as in the server's 400) → the message shown on that field. */
export type FieldErrors = Record<string, string>;

let rowKey = 1;
/** A key for a new agenda row, so moving rows keeps their inputs. */
export const nextRowKey = () => rowKey++;

const emptyLetter: LetterForm = {
  authority: '',
  number: '',
  place: '',
  date: '',
  subject: '',
  addressees: '',
  preamble: '',
  distribution: '',
  signerTitle: '',
  signerName: '',
};

export function newForm(): MeetingForm {
  const tomorrow = displayDate(vietnamDate(Date.now() + 86_400_000));
  return {
    title: '',
    banner: '',
    organizer: '',
    chair: '',
    date: tomorrow,
    opens: '07:30',
    closes: '11:00',
    checkDefault: true,
    checkDate: '',
    checkTime: '08:00',
    checkDuration: '60',
    main: { siteId: '', composition: [], expectedCount: '' },
    sites: [],
    agenda: [],
    requirements: [],
    letter: { ...emptyLetter },
    thresholds: thresholdsFormOf(undefined),
  };
}

function siteRowOf(p: Meeting['mainSite']): SiteRow {
  return {
    siteId: p.siteId,
    composition: p.composition.map((c) => ({
      role: c.role,
      count: c.count === undefined ? '' : String(c.count),
    })),
    expectedCount: p.expectedCount === undefined ? '' : String(p.expectedCount),
  };
}

export function formOf(m: Meeting): MeetingForm {
  const l = m.letter;
  return {
    title: m.title,
    banner: m.banner ?? '',
    organizer: m.organizer,
    chair: m.chair ?? '',
    date: displayDate(vietnamDate(m.opensAt)),
    opens: formatTime(m.opensAt),
    closes: formatTime(m.closesAt),
    checkDefault: m.checkAtDefault,
    checkDate: displayDate(vietnamDate(m.checkAt)),
    checkTime: formatTime(m.checkAt),
    checkDuration: String(m.checkDurationMinutes),
    main: siteRowOf(m.mainSite),
    sites: m.sites.map(siteRowOf),
    agenda: m.agenda.map((a) => ({
      key: nextRowKey(),
      time: formatTime(a.startsAt),
      title: a.title,
      presenter: a.presenter ?? '',
      siteId: a.siteId ?? '',
      isBreak: a.isBreak,
    })),
    requirements: [...m.requirements],
    thresholds: thresholdsFormOf(m.checkThresholds),
    letter: {
      authority: l?.authority ?? '',
      number: l?.number ?? '',
      place: l?.place ?? '',
      date: l?.date ? displayDate(l.date) : '',
      subject: l?.subject ?? '',
      addressees: (l?.addressees ?? []).join('\n'),
      preamble: l?.preamble ?? '',
      distribution: (l?.distribution ?? []).join('\n'),
      signerTitle: l?.signerTitle ?? '',
      signerName: l?.signerName ?? '',
    },
  };
}

const nfc = (s: string) => s.normalize('NFC').trim();
const opt = (s: string) => (nfc(s) ? nfc(s) : undefined);
const lines = (s: string) => s.split('\n').map(nfc).filter(Boolean);

function participationOf(r: SiteRow) {
  return {
    siteId: r.siteId,
    composition: r.composition
      .filter((c) => nfc(c.role))
      .map((c) => ({ role: nfc(c.role), ...(c.count ? { count: Number(c.count) } : {}) })),
    ...(r.expectedCount ? { expectedCount: Number(r.expectedCount) } : {}),
  };
}

/** The request body (POST /api/meetings, PUT without the version). */
export function inputOf(f: MeetingForm): MeetingInput {
  const l = f.letter;
  const letter: Letter = {
    ...(opt(l.authority) ? { authority: opt(l.authority) } : {}),
    ...(opt(l.number) ? { number: opt(l.number) } : {}),
    ...(opt(l.place) ? { place: opt(l.place) } : {}),
    ...(l.date ? { date: parseDate(l.date) ?? l.date } : {}),
    ...(opt(l.subject) ? { subject: opt(l.subject) } : {}),
    addressees: lines(l.addressees),
    ...(opt(l.preamble) ? { preamble: l.preamble.normalize('NFC').trim() } : {}),
    distribution: lines(l.distribution),
    ...(opt(l.signerTitle) ? { signerTitle: l.signerTitle.normalize('NFC').trim() } : {}),
    ...(opt(l.signerName) ? { signerName: opt(l.signerName) } : {}),
  };
  const hasLetter = Object.values(l).some((v) => v.trim() !== '');
  return {
    title: nfc(f.title),
    ...(opt(f.banner) ? { banner: f.banner.normalize('NFC').trim() } : {}),
    organizer: nfc(f.organizer),
    ...(opt(f.chair) ? { chair: opt(f.chair) } : {}),
    opensAt: isoOf(f.date, f.opens),
    closesAt: isoOf(f.date, f.closes),
    ...(f.checkDefault ? {} : { checkAt: isoOf(f.checkDate, f.checkTime) }),
    checkDurationMinutes: Number(f.checkDuration) || 60,
    mainSite: participationOf(f.main),
    sites: f.sites.map(participationOf),
    agenda: f.agenda.map((a) => ({
      startsAt: isoOf(f.date, a.time),
      title: nfc(a.title),
      ...(opt(a.presenter) ? { presenter: opt(a.presenter) } : {}),
      ...(a.siteId ? { siteId: a.siteId } : {}),
      isBreak: a.isBreak,
    })),
    requirements: f.requirements.map(nfc).filter(Boolean),
    ...(hasLetter ? { letter } : {}),
    ...thresholdsInputOf(f.thresholds),
  };
}

/** Fields whose instant is built from the typed date and time. */
const instantField = /^(opensAt|closesAt|checkAt|agenda\.\d+\.startsAt)$/;

/**
 * Everything the server would refuse, found before sending, keyed by field path. Only what the
 * schema cannot know is checked here: dates and times typed as text, and the main site not
 * chosen yet; the rest is `meetingInputSchema` itself, with the server's own messages.
 */
export function validate(
  f: MeetingForm,
  msg: { required: string; date: string; time: string },
  lang: Lang,
): FieldErrors {
  const e: FieldErrors = {};
  const date = (k: string, v: string) => {
    if (!v.trim()) e[k] = msg.required;
    else if (!parseDate(v)) e[k] = msg.date;
  };
  const time = (k: string, v: string) => {
    if (!v.trim()) e[k] = msg.required;
    else if (!parseTime(v)) e[k] = msg.time;
  };
  date('date', f.date);
  time('opensAt', f.opens);
  time('closesAt', f.closes);
  if (!f.checkDefault) {
    date('checkDate', f.checkDate);
    time('checkAt', f.checkTime);
  }
  if (f.letter.date.trim() && !parseDate(f.letter.date)) e['letter.date'] = msg.date;
  for (const [i, a] of f.agenda.entries()) time(`agenda.${i}.startsAt`, a.time);
  const typedBadly = Object.keys(e).length > 0;
  if (!f.main.siteId) e['mainSite.siteId'] = msg.required;

  // The same field paths and messages as the server's 400 for this body.
  const parsed = meetingInputSchema.safeParse(inputOf(f));
  for (const { path, message } of parsed.success ? [] : zodFields(parsed.error)) {
    // An instant built from a mistyped date says nothing the date's own message does not.
    if (path in e || (typedBadly && instantField.test(path))) continue;
    e[path] = localize(message, lang);
  }
  return e;
}
