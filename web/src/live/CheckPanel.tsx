import { useEffect, useRef, useState } from 'preact/hooks';
import type { CheckResult } from '../../../protocol/check/index.js';
import {
  type ChecklistItem,
  checklistItems,
  checklistLabels,
  type SiteReadiness,
} from '../../../protocol/readiness.js';
import { formatTime } from '../../../protocol/time.js';
import { onCheckRequested } from '../../client/ConnectionCheck.js';
import { CheckReasons } from '../CheckReasons.js';
import { CheckScore } from '../CheckScore.js';
import { localize, useI18n } from '../i18n.js';
import { Checkbox, ErrorNotice, ProgressBar, TextField, toast } from '../ui.js';
import type { Devices } from './devices.js';
import { type CheckStep, runSiteCheck, shownSteps, stepLabels } from './siteCheck.js';
import type { MeetingLive } from './useMeeting.js';

/** The connection check: a progress bar through its steps, then "Sẵn sàng" / "Chưa đạt". */
export function CheckPanel(props: {
  live: MeetingLive;
  devices: Devices;
  onChecked?: (readiness: SiteReadiness) => void;
}) {
  const { t, lang } = useI18n();
  const { live, devices } = props;
  const [running, setRunning] = useState(false);
  const [step, setStep] = useState<CheckStep>();
  const [fraction, setFraction] = useState(0);
  const [result, setResult] = useState<CheckResult>();
  const [error, setError] = useState<unknown>();
  const [askSpeakers, setAskSpeakers] = useState<(heard: boolean) => void>();
  const runningRef = useRef(false);
  const devicesRef = useRef(devices);
  devicesRef.current = devices;

  /** byPerson: the technician pressed the button (so someone can answer about the speakers). */
  const run = async (byPerson: boolean, measureMs?: number) => {
    const client = live.client;
    if (!client || runningRef.current) return;
    runningRef.current = true;
    setRunning(true);
    setError(undefined);
    setResult(undefined);
    setFraction(0);
    try {
      // A request at connection time may come before the camera and microphone are on.
      for (let i = 0; i < 50 && !(devicesRef.current.video && devicesRef.current.audio); i++) {
        if (devicesRef.current.error) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const d = devicesRef.current;
      const out = await runSiteCheck({
        client,
        video: d.video,
        audio: d.audio,
        speakerId: d.choice.speakerId,
        onProgress: (s, f) => {
          setStep(s);
          setFraction(f);
        },
        ...(measureMs ? { measureMs } : {}),
        ...(byPerson
          ? {
              askSpeakers: () =>
                new Promise<boolean>((resolve) =>
                  setAskSpeakers(() => (heard: boolean) => {
                    setAskSpeakers(undefined);
                    resolve(heard);
                  }),
                ),
            }
          : {}),
      });
      setResult(out.result);
      props.onChecked?.(out.readiness);
    } catch (err) {
      setError(err);
    } finally {
      runningRef.current = false;
      setRunning(false);
      setStep(undefined);
    }
  };

  // The server asks for a check when the window opens, for the re-check, or when IT asks.
  useEffect(() => {
    const c = live.client;
    if (!c) return;
    return onCheckRequested(c, (n) => void run(false, n.measureMs));
  }, [live.client]);

  const index = step ? Math.max(0, shownSteps.indexOf(step)) : 0;
  const verdictClass =
    result?.verdict === 'pass' ? 'ok' : result?.verdict === 'degraded' ? 'warn' : 'danger';
  const verdictText =
    result?.verdict === 'pass'
      ? t('checkReady')
      : result?.verdict === 'degraded'
        ? t('checkDegraded')
        : t('checkNotReady');

  return (
    <section class="card" aria-labelledby="h-check" data-testid="check">
      <div class="card-head">
        <h2 id="h-check">{t('checkTitle')}</h2>
        <span class="spacer" />
        <button
          type="button"
          class="primary"
          disabled={running || live.state !== 'connected' || !devices.stream}
          onClick={() => void run(true)}
          data-testid="run-check"
        >
          {running ? t('checkRunning') : result ? t('runCheckAgain') : t('runCheck')}
        </button>
      </div>
      <p class="muted">{t('checkIntro')}</p>
      {running ? (
        <div aria-live="polite">
          <ProgressBar value={fraction} label={t('checkTitle')} />
          <p role="status" data-testid="check-step">
            {step
              ? t('checkStep', {
                  n: index + 1,
                  total: shownSteps.length,
                  step: localize(stepLabels[step], lang),
                })
              : t('checkRunning')}
          </p>
          <ol class="steps">
            {shownSteps.map((s, i) => (
              <li key={s} aria-current={i === index ? 'step' : undefined}>
                <span aria-hidden="true">{i < index ? '✓' : i === index ? '▶' : '○'}</span>
                <span class={i > index ? 'muted' : ''}>{localize(stepLabels[s], lang)}</span>
              </li>
            ))}
          </ol>
        </div>
      ) : null}
      {askSpeakers ? (
        <div class="notice info" role="alertdialog" aria-labelledby="speaker-q">
          <strong id="speaker-q">{t('speakerConfirmQ')}</strong>
          <div class="notice-actions">
            <button
              type="button"
              class="primary"
              onClick={() => askSpeakers(true)}
              data-testid="speaker-yes"
            >
              {t('speakerHeard')}
            </button>
            <button type="button" onClick={() => askSpeakers(false)}>
              {t('speakerNotHeard')}
            </button>
          </div>
        </div>
      ) : null}
      <ErrorNotice error={error} onRetry={() => void run(true)} />
      {result ? (
        <div aria-live="polite" data-testid="check-result" data-verdict={result.verdict}>
          <p>
            <span class={`verdict ${verdictClass}`}>{verdictText}</span>{' '}
            <span class="muted">{formatTime(result.finishedAt)}</span>
          </p>
          <CheckScore result={result} lang={lang} />
          {result.reasons.length ? (
            <>
              <h3>{t('checkWhatToFix')}</h3>
              <CheckReasons reasons={result.reasons} lang={lang} />
            </>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

/** The technician confirms what cannot be measured: framing, power, banner, seats. */
export function ChecklistPanel(props: { live: MeetingLive; expected?: number | undefined }) {
  const { t, lang } = useI18n();
  const [items, setItems] = useState<Record<ChecklistItem, boolean>>(
    () =>
      Object.fromEntries(checklistItems.map((k) => [k, false])) as Record<ChecklistItem, boolean>,
  );
  const [seats, setSeats] = useState(props.expected ? String(props.expected) : '');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [confirmed, setConfirmed] = useState<SiteReadiness>();
  const missing = checklistItems.filter((k) => !items[k]).length;

  const submit = async (e: Event) => {
    e.preventDefault();
    const client = props.live.client;
    if (!client) return;
    setBusy(true);
    setError(undefined);
    try {
      const readiness = await client.request('confirmChecklist', {
        items,
        ...(seats ? { seats: Number(seats) } : {}),
        ...(note.trim() ? { note: note.normalize('NFC').trim() } : {}),
      });
      setConfirmed(readiness);
      toast(t('checklistConfirmed'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card" onSubmit={submit} aria-labelledby="h-checklist" data-testid="checklist">
      <h2 id="h-checklist">{t('checklistTitle')}</h2>
      <p class="muted">{t('checklistHint')}</p>
      <fieldset style={{ border: 0, padding: 0, margin: 0 }}>
        <legend class="visually-hidden">{t('checklistTitle')}</legend>
        {checklistItems.map((k) => (
          <Checkbox
            key={k}
            id={`cl-${k}`}
            label={localize(checklistLabels[k], lang)}
            checked={items[k]}
            onChange={(v) => setItems({ ...items, [k]: v })}
          />
        ))}
      </fieldset>
      <div class="grid-2" style={{ marginTop: '8px' }}>
        <TextField
          id="cl-seats"
          label={lang === 'vi' ? 'Số chỗ ngồi đã chuẩn bị' : 'Seats prepared'}
          type="number"
          min={0}
          value={seats}
          onInput={setSeats}
        />
        <TextField id="cl-note" label={t('sNotes')} value={note} onInput={setNote} />
      </div>
      <ErrorNotice error={error} />
      {confirmed ? (
        <div class="notice ok" role="status" data-testid="checklist-confirmed">
          <strong>{t('checklistConfirmed')}</strong>
          {confirmed.checklist ? ` ${formatTime(confirmed.checklist.confirmedAt)}` : ''}
        </div>
      ) : null}
      <div class="row" style={{ alignItems: 'center' }}>
        <button
          type="submit"
          class="primary"
          disabled={busy || props.live.state !== 'connected'}
          data-testid="confirm-checklist"
        >
          {busy ? t('saving') : t('confirmChecklist')}
        </button>
        {missing ? (
          <span class="muted" aria-live="polite">
            {t('checklistIncomplete', { count: missing })}
          </span>
        ) : null}
      </div>
    </form>
  );
}
