import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { mediaPathAdvice, mediaPathLabel } from '../../protocol/mediaPath.js';
import type { Quality } from '../../protocol/socket.js';
import { explain } from './api.js';
import { localize, type MessageKey, useI18n } from './i18n.js';

/* Small building blocks shared by every page. */

// --- toasts: short confirmations, announced to screen readers ---------------------------------

interface Toast {
  id: number;
  text: string;
  kind: 'info' | 'error';
}
let toasts: Toast[] = [];
let nextToast = 1;
const toastListeners = new Set<(t: Toast[]) => void>();

export function toast(text: string, kind: Toast['kind'] = 'info'): void {
  const item = { id: nextToast++, text, kind };
  toasts = [...toasts.slice(-1), item];
  for (const fn of toastListeners) fn(toasts);
  setTimeout(
    () => {
      toasts = toasts.filter((x) => x.id !== item.id);
      for (const fn of toastListeners) fn(toasts);
    },
    kind === 'error' ? 8000 : 3000,
  );
}

export function ToastRegion() {
  const [items, setItems] = useState<Toast[]>(toasts);
  useEffect(() => {
    toastListeners.add(setItems);
    return () => void toastListeners.delete(setItems);
  }, []);
  return (
    <div class="toast-region" role="status" aria-live="polite">
      {items.map((x) => (
        <div key={x.id} class={`toast ${x.kind}`} data-testid="toast">
          {x.text}
        </div>
      ))}
    </div>
  );
}

// --- notices ----------------------------------------------------------------------------------

export function Notice(props: {
  kind: 'info' | 'ok' | 'warn' | 'error';
  children: ComponentChildren;
  live?: boolean;
}) {
  return (
    <div
      class={`notice ${props.kind}`}
      role={props.kind === 'error' ? 'alert' : props.live ? 'status' : undefined}
    >
      {props.children}
    </div>
  );
}

/** An error in the reader's words with what to do next, and buttons to do it. */
export function ErrorNotice(props: {
  error: unknown;
  onRetry?: () => void;
  retryLabel?: MessageKey;
  unauthorized?: MessageKey;
}) {
  const { t, lang } = useI18n();
  if (!props.error) return null;
  const e = explain(props.error, t, lang, props.unauthorized);
  return (
    <div class="notice error" role="alert" data-testid="error">
      <strong>{e.advice}</strong>
      {e.detail && e.detail !== e.advice ? <div>{e.detail}</div> : null}
      {props.onRetry ? (
        <div class="notice-actions">
          <button type="button" onClick={props.onRetry}>
            {t(props.retryLabel ?? 'retry')}
          </button>
        </div>
      ) : null}
    </div>
  );
}

// --- form fields ------------------------------------------------------------------------------

let nextId = 0;
export function useId(prefix: string): string {
  const ref = useRef<string | undefined>(undefined);
  ref.current ??= `${prefix}-${++nextId}`;
  return ref.current;
}

interface FieldBase {
  label: string;
  error?: string | undefined;
  hint?: string;
  required?: boolean;
  id?: string;
  class?: string;
}

function FieldShell(props: FieldBase & { id: string; children: ComponentChildren }) {
  return (
    <div class={`field ${props.class ?? ''}`}>
      <label for={props.id}>
        {props.label}
        {props.required ? <span aria-hidden="true"> *</span> : null}
      </label>
      {props.children}
      {props.hint ? (
        <div class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </div>
      ) : null}
      {props.error ? (
        <div class="error" id={`${props.id}-error`}>
          {props.error}
        </div>
      ) : null}
    </div>
  );
}

function describedBy(id: string, p: FieldBase): string | undefined {
  const ids = [p.hint ? `${id}-hint` : '', p.error ? `${id}-error` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

export function TextField(
  props: FieldBase & {
    value: string;
    onInput: (v: string) => void;
    type?: string;
    multiline?: boolean;
    autoComplete?: string;
    min?: string | number;
    max?: string | number;
    name?: string;
    placeholder?: string;
    inputMode?: 'numeric' | 'text' | 'tel' | 'email';
  },
) {
  const auto = useId('f');
  const id = props.id ?? auto;
  const common = {
    id,
    name: props.name ?? id,
    value: props.value,
    required: props.required,
    'aria-invalid': props.error ? ('true' as const) : undefined,
    'aria-describedby': describedBy(id, props),
    placeholder: props.placeholder,
  };
  return (
    <FieldShell {...props} id={id}>
      {props.multiline ? (
        <textarea
          {...common}
          onInput={(e) => props.onInput((e.currentTarget as HTMLTextAreaElement).value)}
        />
      ) : (
        <input
          {...common}
          type={(props.type ?? 'text') as 'text'}
          autocomplete={props.autoComplete}
          inputMode={props.inputMode}
          min={props.min}
          max={props.max}
          onInput={(e) => props.onInput((e.currentTarget as HTMLInputElement).value)}
        />
      )}
    </FieldShell>
  );
}

export function SelectField(
  props: FieldBase & {
    value: string;
    onChange: (v: string) => void;
    options: { value: string; label: string }[];
    disabled?: boolean;
  },
) {
  const auto = useId('s');
  const id = props.id ?? auto;
  return (
    <FieldShell {...props} id={id}>
      <select
        id={id}
        value={props.value}
        disabled={props.disabled}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={describedBy(id, props)}
        onChange={(e) => props.onChange((e.currentTarget as HTMLSelectElement).value)}
      >
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </FieldShell>
  );
}

export function Checkbox(props: {
  label: string;
  checked: boolean;
  onChange: (v: boolean) => void;
  id?: string;
  disabled?: boolean;
}) {
  const auto = useId('c');
  const id = props.id ?? auto;
  return (
    <div class="check-row">
      <input
        type="checkbox"
        id={id}
        checked={props.checked}
        disabled={props.disabled}
        onChange={(e) => props.onChange((e.currentTarget as HTMLInputElement).checked)}
      />
      <label for={id}>{props.label}</label>
    </div>
  );
}

// --- small displays ---------------------------------------------------------------------------

export function LangSwitch() {
  const { t, lang, setLang } = useI18n();
  return (
    <button
      type="button"
      class="small"
      lang={lang === 'vi' ? 'en' : 'vi'}
      aria-label={t('langSwitchLabel')}
      onClick={() => setLang(lang === 'vi' ? 'en' : 'vi')}
      data-testid="lang-switch"
    >
      {t('langSwitch')}
    </button>
  );
}

export function ProgressBar(props: { value: number; label: string }) {
  const pct = Math.max(0, Math.min(100, Math.round(props.value * 100)));
  return (
    <div
      class="progress"
      role="progressbar"
      aria-label={props.label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct}
    >
      <div style={{ width: `${pct}%` }} />
    </div>
  );
}

/** Re-renders every `ms` milliseconds; returns the current time. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`;
}

export function Countdown(props: { to: string }) {
  const { t } = useI18n();
  const now = useNow(1000);
  const ms = Date.parse(props.to) - now;
  if (ms <= 0) return <div class="countdown">{t('openingSoon')}</div>;
  const days = Math.floor(ms / 86_400_000);
  return (
    <div class="countdown" role="timer" aria-label={t('opensIn')}>
      {days > 0 ? `${t('days', { n: days })} ` : ''}
      {formatDuration(ms % 86_400_000)}
    </div>
  );
}

export function QualityBadge(props: { grade: 'good' | 'fair' | 'poor' | 'unknown' | undefined }) {
  const { t } = useI18n();
  const grade = props.grade ?? 'unknown';
  return (
    <span class="quality" data-testid="quality" data-grade={grade}>
      <span class={`bars ${grade}`} aria-hidden="true">
        <span />
        <span />
        <span />
      </span>
      <span>
        <span class="visually-hidden">{t('quality')}: </span>
        {t(`q_${grade}`)}
      </span>
    </span>
  );
}

/**
 * A site's link in one line for the chair's and IT's live views: the path its media takes
 * (UDP, TCP, TURN/TLS 443), the SFU's estimate of its downlink, the loss and the layer of the
 * main point it receives; the advice for the path in the tooltip, so IT knows whom to call.
 */
export function LinkSummary(props: { quality: Quality | undefined }) {
  const { lang, t } = useI18n();
  const q = props.quality;
  if (!q) return null;
  const path = q.path ?? 'unknown';
  const loss = Math.max(q.lossUpPercent, q.lossDownPercent);
  return (
    <span
      class="figures link-summary"
      data-testid="link-summary"
      data-path={path}
      title={localize(mediaPathAdvice[path], lang)}
    >
      <span class="visually-hidden">{t('linkPath')}: </span>
      <strong>{localize(mediaPathLabel(path, q.relayPort), lang)}</strong>
      {q.estimateKbps !== undefined ? ` · ${t('linkEstimate')} ≈ ${q.estimateKbps} kbps` : ''}
      {` · ${t('linkLoss')} ${loss.toFixed(1)} %`}
      {q.layer !== undefined ? ` · ${t('linkLayer')} ${q.layer}/2` : ''}
    </span>
  );
}

/** Shows a video track; muted (audio plays through <AudioOut>). */
export function VideoView(props: {
  track: MediaStreamTrack | undefined;
  caption?: string;
  placeholder?: string;
  class?: string;
  mirror?: boolean;
  id?: string;
  'aria-label'?: string;
}) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.srcObject = props.track ? new MediaStream([props.track]) : null;
    if (props.track) void el.play().catch(() => {});
  }, [props.track]);
  return (
    <div
      id={props.id}
      class={`video-box ${props.class ?? ''}`}
      aria-label={props['aria-label']}
      role="img"
      data-has-video={props.track ? 'true' : 'false'}
    >
      <video
        ref={ref}
        autoplay
        playsInline
        muted
        style={props.mirror ? { transform: 'scaleX(-1)' } : undefined}
      />
      {!props.track && props.placeholder ? (
        <div class="placeholder">{props.placeholder}</div>
      ) : null}
      {props.caption ? <div class="caption">{props.caption}</div> : null}
    </div>
  );
}

type SinkAudio = HTMLAudioElement & { setSinkId?: (id: string) => Promise<void> };

/** Plays remote audio tracks on the chosen speakers; reports when the browser blocks autoplay. */
export function AudioOut(props: {
  tracks: MediaStreamTrack[];
  sinkId?: string;
  onBlocked?: (blocked: boolean) => void;
}) {
  const ref = useRef<HTMLAudioElement>(null);
  const ids = props.tracks.map((t) => t.id).join(',');
  useEffect(() => {
    const el = ref.current as SinkAudio | null;
    if (!el) return;
    el.srcObject = props.tracks.length ? new MediaStream(props.tracks) : null;
    if (props.tracks.length)
      el.play().then(
        () => props.onBlocked?.(false),
        () => props.onBlocked?.(true),
      );
  }, [ids]);
  useEffect(() => {
    const el = ref.current as SinkAudio | null;
    if (el?.setSinkId && props.sinkId !== undefined)
      void el.setSinkId(props.sinkId).catch(() => {});
  }, [props.sinkId]);
  // biome-ignore lint/a11y/useMediaCaption: live meeting audio has no caption track.
  return <audio ref={ref} autoplay data-testid="remote-audio" />;
}

/** Shown when the browser blocked autoplay: one press lets the meeting's sound play. */
export function SoundBlockedPanel(props: { onEnable: () => void }) {
  const { t } = useI18n();
  return (
    <div class="panel" role="alert">
      <p>{t('soundBlocked')}</p>
      <button type="button" class="primary" onClick={props.onEnable}>
        🔊 {t('enableSound')}
      </button>
    </div>
  );
}
