import { useEffect, useState } from 'preact/hooks';
import {
  editableStates,
  type Letter,
  type Meeting,
  type MeetingInput,
} from '../../../protocol/meetings.js';
import { type Site, siteKindLabels } from '../../../protocol/sites.js';
import { defaultCheckAt, formatDateTime, formatTime, vietnamDate } from '../../../protocol/time.js';
import { ApiError, api } from '../api.js';
import { useI18n } from '../i18n.js';
import { linkTo, navigate } from '../router.js';
import { Checkbox, ErrorNotice, Notice, SelectField, TextField, toast } from '../ui.js';
import { useLoad } from '../useLoad.js';

interface CompRow {
  role: string;
  count: string;
}
interface SiteRow {
  siteId: string;
  composition: CompRow[];
  expectedCount: string;
}
interface AgendaRow {
  key: number;
  time: string;
  title: string;
  presenter: string;
  siteId: string;
  isBreak: boolean;
}
interface LetterForm {
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
interface MeetingForm {
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
}

let rowKey = 1;
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

function newForm(): MeetingForm {
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

function formOf(m: Meeting): MeetingForm {
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
      key: rowKey++,
      time: formatTime(a.startsAt),
      title: a.title,
      presenter: a.presenter ?? '',
      siteId: a.siteId ?? '',
      isBreak: a.isBreak,
    })),
    requirements: [...m.requirements],
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

const pad2 = (n: number) => String(n).padStart(2, '0');

/** "2026-11-01" → "01/11/2026": dates are typed and shown as people write them here. */
export function displayDate(isoDate: string): string {
  const [y, m, d] = isoDate.split('-');
  return y && m && d ? `${d}/${m}/${y}` : '';
}

/** "1/11/2026" or "01/11/2026" → "2026-11-01"; undefined when it is not a real date. */
export function parseDate(text: string): string | undefined {
  const m = /^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$/.exec(text);
  if (!m) return undefined;
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d)
    return undefined;
  return `${y}-${pad2(mo)}-${pad2(d)}`;
}

/** "7:30", "07:30" or "7h30" → "07:30" (24-hour clock); undefined otherwise. */
export function parseTime(text: string): string | undefined {
  const m = /^\s*(\d{1,2})\s*[:hH.]\s*(\d{2})\s*$/.exec(text);
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 23 || min > 59) return undefined;
  return `${pad2(h)}:${pad2(min)}`;
}

const nfc = (s: string) => s.normalize('NFC').trim();
const opt = (s: string) => (nfc(s) ? nfc(s) : undefined);
const lines = (s: string) => s.split('\n').map(nfc).filter(Boolean);
/** Form date (dd/mm/yyyy) and time (hh:mm) → an instant in Vietnam's offset. */
const iso = (date: string, time: string) =>
  `${parseDate(date) ?? date}T${parseTime(time) ?? time}:00+07:00`;

function participationOf(r: SiteRow) {
  return {
    siteId: r.siteId,
    composition: r.composition
      .filter((c) => nfc(c.role))
      .map((c) => ({ role: nfc(c.role), ...(c.count ? { count: Number(c.count) } : {}) })),
    ...(r.expectedCount ? { expectedCount: Number(r.expectedCount) } : {}),
  };
}

function inputOf(f: MeetingForm): MeetingInput {
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
    opensAt: iso(f.date, f.opens),
    closesAt: iso(f.date, f.closes),
    ...(f.checkDefault ? {} : { checkAt: iso(f.checkDate, f.checkTime) }),
    checkDurationMinutes: Number(f.checkDuration) || 60,
    mainSite: participationOf(f.main),
    sites: f.sites.map(participationOf),
    agenda: f.agenda.map((a) => ({
      startsAt: iso(f.date, a.time),
      title: nfc(a.title),
      ...(opt(a.presenter) ? { presenter: opt(a.presenter) } : {}),
      ...(a.siteId ? { siteId: a.siteId } : {}),
      isBreak: a.isBreak,
    })),
    requirements: f.requirements.map(nfc).filter(Boolean),
    ...(hasLetter ? { letter } : {}),
  };
}

/** Checks a person would otherwise only learn from the server, so the field is marked at once. */
function localErrors(
  f: MeetingForm,
  msg: { required: string; date: string; time: string },
): Record<string, string> {
  const e: Record<string, string> = {};
  const date = (v: string) => (!v.trim() ? msg.required : parseDate(v) ? undefined : msg.date);
  const time = (v: string) => (!v.trim() ? msg.required : parseTime(v) ? undefined : msg.time);
  const put = (k: string, v: string | undefined) => {
    if (v) e[k] = v;
  };
  if (!nfc(f.title)) e.title = msg.required;
  if (!nfc(f.organizer)) e.organizer = msg.required;
  put('date', date(f.date));
  put('opensAt', time(f.opens));
  put('closesAt', time(f.closes));
  if (!f.main.siteId) e['mainSite.siteId'] = msg.required;
  if (!f.checkDefault) {
    put('checkDate', date(f.checkDate));
    put('checkAt', time(f.checkTime));
  }
  if (f.letter.date.trim() && !parseDate(f.letter.date)) e['letter.date'] = msg.date;
  f.agenda.forEach((a, i) => {
    put(`agenda.${i}.startsAt`, time(a.time));
    if (!nfc(a.title)) e[`agenda.${i}.title`] = msg.required;
  });
  return e;
}

/** Create or edit a meeting: general facts, times, main point and sites, agenda, letter. */
export function MeetingEditor(props: { meetingId?: string }) {
  const { t, lang } = useI18n();
  const sites = useLoad(() => api<{ sites: Site[] }>('GET', '/api/sites').then((r) => r.sites), []);
  const existing = useLoad(
    () =>
      props.meetingId
        ? api<Meeting>('GET', `/api/meetings/${props.meetingId}`)
        : Promise.resolve(undefined),
    [props.meetingId],
  );
  const [form, setForm] = useState<MeetingForm>(newForm);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [errors, setErrors] = useState<Record<string, string>>({});

  useEffect(() => {
    if (existing.data) setForm(formOf(existing.data));
  }, [existing.data]);

  useEffect(() => {
    document.title = `${props.meetingId ? t('editMeetingTitle') : t('newMeetingTitle')} — ${t('appName')}`;
  }, [t, props.meetingId]);

  const directory = sites.data ?? [];
  const nameOf = (id: string) => directory.find((s) => s.id === id)?.name ?? id;
  const up = (patch: Partial<MeetingForm>) => setForm((f) => ({ ...f, ...patch }));
  const err = (k: string) => errors[k];

  const submit = async (e: Event) => {
    e.preventDefault();
    const local = localErrors(form, {
      required: t('requiredField'),
      date: t('badDate'),
      time: t('badTime'),
    });
    setError(undefined);
    if (Object.keys(local).length) {
      setErrors(local);
      focusFirstError();
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const body = inputOf(form);
      const saved = existing.data
        ? await api<Meeting>('PUT', `/api/meetings/${existing.data.id}`, {
            ...body,
            version: existing.data.version,
          })
        : await api<Meeting>('POST', '/api/meetings', body);
      toast(t('meetingSaved'));
      navigate(`/admin/meetings/${saved.id}`);
    } catch (caught) {
      setError(caught);
      if (caught instanceof ApiError) {
        setErrors(caught.fieldErrors(lang));
        focusFirstError();
      }
    } finally {
      setBusy(false);
    }
  };

  if (existing.error || sites.error) {
    return (
      <ErrorNotice
        error={existing.error ?? sites.error}
        onRetry={() => {
          void existing.reload();
          void sites.reload();
        }}
      />
    );
  }
  if ((props.meetingId && !existing.data) || !sites.data) {
    return <p aria-busy="true">{t('loading')}</p>;
  }
  if (existing.data && !editableStates.includes(existing.data.state)) {
    return <Notice kind="warn">{t('notEditable')}</Notice>;
  }

  const siteOptions = [
    { value: '', label: t('chooseSite') },
    ...directory.map((s) => ({ value: s.id, label: s.name })),
  ];
  const chosen = new Set(form.sites.map((s) => s.siteId));
  const toggleSite = (id: string, on: boolean) =>
    up({
      sites: on
        ? [...form.sites, { siteId: id, composition: [], expectedCount: '' }]
        : form.sites.filter((s) => s.siteId !== id),
    });
  const defaultCheck =
    parseDate(form.date) && parseTime(form.opens) ? defaultCheckAt(iso(form.date, form.opens)) : '';
  const errorCount = Object.keys(errors).length;

  return (
    <form onSubmit={submit} aria-busy={busy} noValidate data-testid="meeting-form">
      <div class="page-head">
        <h1>{existing.data ? t('editMeetingTitle') : t('newMeetingTitle')}</h1>
      </div>
      {errorCount ? (
        <Notice kind="error">
          <strong>{t('fixFields', { count: errorCount })}</strong>
        </Notice>
      ) : null}
      <ErrorNotice
        error={error}
        {...(error instanceof ApiError && error.code === 'conflict' && existing.data
          ? { onRetry: () => void existing.reload(), retryLabel: 'reloadData' as const }
          : {})}
      />

      <section class="card" aria-labelledby="sec-general">
        <h2 id="sec-general">{t('sectionGeneral')}</h2>
        <TextField
          id="m-title"
          label={t('fTitle')}
          value={form.title}
          onInput={(v) => up({ title: v })}
          required
          error={err('title')}
        />
        <div class="grid-2">
          <TextField
            id="m-organizer"
            label={t('fOrganizer')}
            value={form.organizer}
            onInput={(v) => up({ organizer: v })}
            required
            error={err('organizer')}
          />
          <TextField
            id="m-chair"
            label={t('fChair')}
            value={form.chair}
            onInput={(v) => up({ chair: v })}
            error={err('chair')}
          />
        </div>
        <TextField
          id="m-banner"
          label={t('fBanner')}
          hint={t('fBannerHint')}
          multiline
          value={form.banner}
          onInput={(v) => up({ banner: v })}
          error={err('banner')}
        />
      </section>

      <section class="card" aria-labelledby="sec-time">
        <h2 id="sec-time">{t('sectionTime')}</h2>
        <div class="grid-3">
          <TextField
            id="m-date"
            label={t('fDate')}
            hint={t('dateHint')}
            inputMode="numeric"
            placeholder="dd/mm/yyyy"
            value={form.date}
            onInput={(v) => up({ date: v })}
            required
            error={err('date')}
          />
          <TextField
            id="m-opens"
            label={t('fOpensAt')}
            hint={t('timeHint')}
            inputMode="numeric"
            placeholder="hh:mm"
            value={form.opens}
            onInput={(v) => up({ opens: v })}
            required
            error={err('opensAt')}
          />
          <TextField
            id="m-closes"
            label={t('fClosesAt')}
            hint={t('timeHint')}
            inputMode="numeric"
            placeholder="hh:mm"
            value={form.closes}
            onInput={(v) => up({ closes: v })}
            required
            error={err('closesAt')}
          />
        </div>
        <Checkbox
          id="m-check-default"
          label={t('fCheckDefault')}
          checked={form.checkDefault}
          onChange={(v) =>
            up({
              checkDefault: v,
              ...(!v && !form.checkDate && defaultCheck
                ? {
                    checkDate: displayDate(vietnamDate(defaultCheck)),
                    checkTime: formatTime(defaultCheck),
                  }
                : {}),
            })
          }
        />
        {form.checkDefault ? (
          <p class="muted" data-testid="check-default">
            {defaultCheck ? t('checkDefaultIs', { when: formatDateTime(defaultCheck) }) : ''}
          </p>
        ) : (
          <div class="grid-3">
            <TextField
              id="m-check-date"
              label={t('fCheckDate')}
              inputMode="numeric"
              placeholder="dd/mm/yyyy"
              value={form.checkDate}
              onInput={(v) => up({ checkDate: v })}
              error={err('checkDate')}
            />
            <TextField
              id="m-check-time"
              label={t('fCheckTime')}
              inputMode="numeric"
              placeholder="hh:mm"
              value={form.checkTime}
              onInput={(v) => up({ checkTime: v })}
              error={err('checkAt')}
            />
          </div>
        )}
        <div class="grid-3">
          <TextField
            id="m-check-duration"
            label={t('fCheckDuration')}
            type="number"
            min={10}
            max={600}
            value={form.checkDuration}
            onInput={(v) => up({ checkDuration: v })}
            error={err('checkDurationMinutes')}
          />
        </div>
      </section>

      <section class="card" aria-labelledby="sec-sites">
        <h2 id="sec-sites">{t('sectionSites')}</h2>
        {directory.length === 0 ? (
          <Notice kind="warn">
            {t('noSitesInDirectory')}{' '}
            <a href="/admin/sites" onClick={linkTo('/admin/sites')}>
              {t('goToSites')}
            </a>
          </Notice>
        ) : null}
        <div class="grid-2">
          <SelectField
            id="m-main-site"
            label={t('fMainSite')}
            value={form.main.siteId}
            options={siteOptions}
            required
            onChange={(v) =>
              up({
                main: { ...form.main, siteId: v },
                sites: form.sites.filter((s) => s.siteId !== v),
              })
            }
            error={err('mainSite.siteId')}
          />
        </div>
        {form.main.siteId ? (
          <SiteComposition
            title={`${t('mainPointLabel')}: ${nameOf(form.main.siteId)}`}
            row={form.main}
            errorPrefix="mainSite"
            errors={errors}
            onChange={(main) => up({ main })}
          />
        ) : null}
        <fieldset style={{ border: 0, padding: 0, margin: '12px 0' }}>
          <legend>
            <strong>{t('fSites')}</strong>
          </legend>
          <p class="muted">{t('fSitesHint')}</p>
          <div class="site-pick">
            {directory
              .filter((s) => s.id !== form.main.siteId)
              .map((s) => (
                <Checkbox
                  key={s.id}
                  id={`pick-${s.id}`}
                  label={`${s.name} (${siteKindLabels[s.kind][lang]})`}
                  checked={chosen.has(s.id)}
                  onChange={(on) => toggleSite(s.id, on)}
                />
              ))}
          </div>
          {err('sites') ? <div class="field error">{err('sites')}</div> : null}
        </fieldset>
        <div class="editor-list">
          {form.sites.map((row, i) => (
            <SiteComposition
              key={row.siteId}
              title={nameOf(row.siteId)}
              row={row}
              errorPrefix={`sites.${i}`}
              errors={errors}
              onChange={(r) => up({ sites: form.sites.map((s, j) => (j === i ? r : s)) })}
              onCopyToAll={
                form.sites.length > 1
                  ? () =>
                      up({
                        sites: form.sites.map((s) => ({
                          ...s,
                          composition: row.composition.map((c) => ({ ...c })),
                          expectedCount: row.expectedCount,
                        })),
                      })
                  : undefined
              }
            />
          ))}
        </div>
      </section>

      <AgendaEditor
        rows={form.agenda}
        errors={errors}
        siteOptions={[
          { value: '', label: t('none') },
          ...(form.main.siteId
            ? [{ value: form.main.siteId, label: nameOf(form.main.siteId) }]
            : []),
          ...form.sites.map((s) => ({ value: s.siteId, label: nameOf(s.siteId) })),
        ]}
        onChange={(agenda) => up({ agenda })}
      />

      <section class="card" aria-labelledby="sec-req">
        <h2 id="sec-req">{t('sectionRequirements')}</h2>
        {form.requirements.map((r, i) => (
          <div class="composition-row" key={`req-${i}`} style={{ gridTemplateColumns: '1fr auto' }}>
            <TextField
              id={`m-req-${i}`}
              label={`${t('requirement')} ${i + 1}`}
              value={r}
              onInput={(v) =>
                up({ requirements: form.requirements.map((x, j) => (j === i ? v : x)) })
              }
              error={err(`requirements.${i}`)}
            />
            <button
              type="button"
              onClick={() => up({ requirements: form.requirements.filter((_, j) => j !== i) })}
              aria-label={`${t('remove')}: ${t('requirement')} ${i + 1}`}
            >
              {t('remove')}
            </button>
          </div>
        ))}
        <button type="button" onClick={() => up({ requirements: [...form.requirements, ''] })}>
          + {t('addRequirement')}
        </button>
      </section>

      <LetterEditor letter={form.letter} errors={errors} onChange={(letter) => up({ letter })} />

      <div class="form-actions">
        <button type="submit" class="primary big" disabled={busy} data-testid="save-meeting">
          {busy ? t('saving') : existing.data ? t('save') : t('createMeeting')}
        </button>
        <a
          class="button"
          href={existing.data ? `/admin/meetings/${existing.data.id}` : '/'}
          onClick={linkTo(existing.data ? `/admin/meetings/${existing.data.id}` : '/')}
        >
          {t('cancel')}
        </a>
      </div>
    </form>
  );
}

function focusFirstError() {
  requestAnimationFrame(() => {
    const el = document.querySelector<HTMLElement>('[aria-invalid="true"]');
    el?.focus();
  });
}

function SiteComposition(props: {
  title: string;
  row: SiteRow;
  errorPrefix: string;
  errors: Record<string, string>;
  onChange: (row: SiteRow) => void;
  onCopyToAll?: (() => void) | undefined;
}) {
  const { t } = useI18n();
  const { row } = props;
  const id = `${props.errorPrefix.replace('.', '-')}`;
  const setComp = (composition: CompRow[]) => props.onChange({ ...row, composition });
  return (
    <div class="editor-item" data-testid="site-composition">
      <div class="card-head">
        <h3>{props.title}</h3>
        <span class="spacer" />
        {props.onCopyToAll ? (
          <button type="button" class="small" onClick={props.onCopyToAll}>
            {t('applyToAll')}
          </button>
        ) : null}
      </div>
      {props.errors[`${props.errorPrefix}.siteId`] ? (
        <div class="field">
          <div class="error">{props.errors[`${props.errorPrefix}.siteId`]}</div>
        </div>
      ) : null}
      {row.composition.map((c, i) => (
        <div class="composition-row" key={`${id}-c-${i}`}>
          <TextField
            id={`${id}-role-${i}`}
            label={t('compositionRole')}
            value={c.role}
            onInput={(v) =>
              setComp(row.composition.map((x, j) => (j === i ? { ...x, role: v } : x)))
            }
            error={props.errors[`${props.errorPrefix}.composition.${i}.role`]}
          />
          <TextField
            id={`${id}-count-${i}`}
            label={t('compositionCount')}
            type="number"
            min={1}
            value={c.count}
            onInput={(v) =>
              setComp(row.composition.map((x, j) => (j === i ? { ...x, count: v } : x)))
            }
            error={props.errors[`${props.errorPrefix}.composition.${i}.count`]}
          />
          <button
            type="button"
            onClick={() => setComp(row.composition.filter((_, j) => j !== i))}
            aria-label={`${t('remove')}: ${c.role || t('compositionRole')}`}
          >
            {t('remove')}
          </button>
        </div>
      ))}
      <div class="row" style={{ alignItems: 'flex-end' }}>
        <button
          type="button"
          class="small"
          onClick={() => setComp([...row.composition, { role: '', count: '' }])}
        >
          + {t('addComposition')}
        </button>
        <TextField
          id={`${id}-expected`}
          class="narrow"
          label={t('expectedCount')}
          type="number"
          min={0}
          value={row.expectedCount}
          onInput={(v) => props.onChange({ ...row, expectedCount: v })}
          error={props.errors[`${props.errorPrefix}.expectedCount`]}
        />
      </div>
    </div>
  );
}

function AgendaEditor(props: {
  rows: AgendaRow[];
  errors: Record<string, string>;
  siteOptions: { value: string; label: string }[];
  onChange: (rows: AgendaRow[]) => void;
}) {
  const { t } = useI18n();
  const { rows } = props;
  const set = (i: number, patch: Partial<AgendaRow>) =>
    props.onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const move = (i: number, d: -1 | 1) => {
    const next = [...rows];
    const [r] = next.splice(i, 1);
    next.splice(i + d, 0, r!);
    props.onChange(next);
  };
  return (
    <section class="card" aria-labelledby="sec-agenda">
      <h2 id="sec-agenda">{t('sectionAgenda')}</h2>
      {rows.length === 0 ? <p class="muted">{t('agendaEmpty')}</p> : null}
      <ol class="editor-list" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
        {rows.map((r, i) => (
          <li key={r.key} class="editor-item agenda-row" data-testid="agenda-row">
            <TextField
              id={`ag-time-${i}`}
              label={t('agendaTime')}
              inputMode="numeric"
              placeholder="hh:mm"
              value={r.time}
              onInput={(v) => set(i, { time: v })}
              error={props.errors[`agenda.${i}.startsAt`]}
            />
            <TextField
              id={`ag-title-${i}`}
              label={t('agendaTitleF')}
              value={r.title}
              onInput={(v) => set(i, { title: v })}
              error={props.errors[`agenda.${i}.title`]}
            />
            <TextField
              id={`ag-presenter-${i}`}
              label={t('agendaPresenter')}
              value={r.presenter}
              onInput={(v) => set(i, { presenter: v })}
              error={props.errors[`agenda.${i}.presenter`]}
            />
            <SelectField
              id={`ag-site-${i}`}
              label={t('agendaSite')}
              value={r.siteId}
              options={props.siteOptions}
              onChange={(v) => set(i, { siteId: v })}
              error={props.errors[`agenda.${i}.siteId`]}
            />
            <Checkbox
              id={`ag-break-${i}`}
              label={t('agendaBreak')}
              checked={r.isBreak}
              onChange={(v) => set(i, { isBreak: v })}
            />
            <div class="tools">
              <button
                type="button"
                class="small"
                disabled={i === 0}
                onClick={() => move(i, -1)}
                aria-label={`${t('moveUp')}: ${r.title || i + 1}`}
              >
                ↑
              </button>
              <button
                type="button"
                class="small"
                disabled={i === rows.length - 1}
                onClick={() => move(i, 1)}
                aria-label={`${t('moveDown')}: ${r.title || i + 1}`}
              >
                ↓
              </button>
              <button
                type="button"
                class="small"
                onClick={() => props.onChange(rows.filter((_, j) => j !== i))}
                aria-label={`${t('remove')}: ${r.title || i + 1}`}
              >
                ✕
              </button>
            </div>
          </li>
        ))}
      </ol>
      <button
        type="button"
        data-testid="add-agenda"
        onClick={() => {
          const last = rows[rows.length - 1];
          props.onChange([
            ...rows,
            {
              key: rowKey++,
              time: last?.time ?? '',
              title: '',
              presenter: '',
              siteId: '',
              isBreak: false,
            },
          ]);
          requestAnimationFrame(() => document.getElementById(`ag-time-${rows.length}`)?.focus());
        }}
      >
        + {t('addAgendaItem')}
      </button>
    </section>
  );
}

const letterLabels = {
  vi: {
    title: 'Công văn triệu tập',
    authority: 'Cơ quan chủ quản',
    number: 'Số, ký hiệu',
    place: 'Địa danh',
    date: 'Ngày ban hành',
    subject: 'Trích yếu (V/v)',
    addressees: 'Kính gửi (mỗi dòng một nơi)',
    preamble: 'Phần mở đầu',
    distribution: 'Nơi nhận (mỗi dòng một nơi)',
    signerTitle: 'Chức danh người ký',
    signerName: 'Họ tên người ký',
  },
  en: {
    title: 'Convening letter',
    authority: 'Superior authority',
    number: 'Number and symbol',
    place: 'Place',
    date: 'Letter date',
    subject: 'Subject (V/v)',
    addressees: 'Addressees (one per line)',
    preamble: 'Preamble',
    distribution: 'Distribution (one per line)',
    signerTitle: 'Signer title',
    signerName: 'Signer name',
  },
} as const;

function LetterEditor(props: {
  letter: LetterForm;
  errors: Record<string, string>;
  onChange: (l: LetterForm) => void;
}) {
  const { lang } = useI18n();
  const L = letterLabels[lang];
  const l = props.letter;
  const set = (k: keyof LetterForm) => (v: string) => props.onChange({ ...l, [k]: v });
  const e = (k: string) =>
    Object.entries(props.errors).find(([p]) => p.startsWith(`letter.${k}`))?.[1];
  const hasErrors = Object.keys(props.errors).some((k) => k.startsWith('letter'));
  return (
    <details class="card" open={hasErrors || undefined}>
      <summary>
        <strong>{L.title}</strong>
      </summary>
      <div class="grid-3" style={{ marginTop: '12px' }}>
        <TextField
          id="l-authority"
          label={L.authority}
          value={l.authority}
          onInput={set('authority')}
          error={e('authority')}
        />
        <TextField
          id="l-number"
          label={L.number}
          value={l.number}
          onInput={set('number')}
          error={e('number')}
        />
        <TextField
          id="l-place"
          label={L.place}
          value={l.place}
          onInput={set('place')}
          error={e('place')}
        />
        <TextField
          id="l-date"
          label={L.date}
          inputMode="numeric"
          placeholder="dd/mm/yyyy"
          value={l.date}
          onInput={set('date')}
          error={e('date')}
        />
      </div>
      <TextField
        id="l-subject"
        label={L.subject}
        multiline
        value={l.subject}
        onInput={set('subject')}
        error={e('subject')}
      />
      <div class="grid-2">
        <TextField
          id="l-addressees"
          label={L.addressees}
          multiline
          value={l.addressees}
          onInput={set('addressees')}
          error={e('addressees')}
        />
        <TextField
          id="l-distribution"
          label={L.distribution}
          multiline
          value={l.distribution}
          onInput={set('distribution')}
          error={e('distribution')}
        />
      </div>
      <TextField
        id="l-preamble"
        label={L.preamble}
        multiline
        value={l.preamble}
        onInput={set('preamble')}
        error={e('preamble')}
      />
      <div class="grid-2">
        <TextField
          id="l-signer-title"
          label={L.signerTitle}
          multiline
          value={l.signerTitle}
          onInput={set('signerTitle')}
          error={e('signerTitle')}
        />
        <TextField
          id="l-signer-name"
          label={L.signerName}
          value={l.signerName}
          onInput={set('signerName')}
          error={e('signerName')}
        />
      </div>
    </details>
  );
}
