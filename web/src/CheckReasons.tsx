import {
  type CheckFigures,
  causeLabels,
  type Reason,
  reasonsByCause,
  reasonText,
} from '../../protocol/check/index.js';
import { type Lang, localize } from './i18n.js';

const mark: Record<Reason['severity'], string> = { fail: '✗', degraded: '!', info: 'ℹ' };

/**
 * The check's reasons by cause (link, computer, devices), each with what to do about it: the
 * technician and IT see at once whether to call the provider or close programs.
 */
export function CheckReasons(props: { reasons: readonly Reason[]; lang: Lang; compact?: boolean }) {
  const { lang } = props;
  const groups = reasonsByCause(props.reasons);
  if (groups.length === 0) return null;
  return (
    <div class={props.compact ? 'reasons figures' : 'reasons'} data-testid="check-reasons">
      {groups.map(([cause, reasons]) => (
        <div key={cause} data-cause={cause}>
          <strong>{localize(causeLabels[cause], lang)}</strong>
          <ul>
            {reasons.map((r) => (
              <li key={r.code} data-code={r.code} data-severity={r.severity}>
                <span aria-hidden="true" class={`sev-${r.severity}`}>
                  {mark[r.severity]}
                </span>{' '}
                {localize(reasonText(r), lang)}
              </li>
            ))}
          </ul>
          {props.compact
            ? null
            : [
                ...new Set(reasons.flatMap((r) => (r.advice ? [localize(r.advice, lang)] : []))),
              ].map((a) => (
                <div key={a} class="advice">
                  {lang === 'vi' ? 'Cách khắc phục: ' : 'What to do: '}
                  {a}
                </div>
              ))}
        </div>
      ))}
    </div>
  );
}

/** The computer's figures in one line: what the encoder sent and how the decoder coped. */
export function computerLine(f: CheckFigures, lang: Lang): string | undefined {
  const s = f.sender;
  const r = f.receiver;
  // A page held up for half a second or more is worth saying; less is the ordinary jitter of timers.
  const lag = f.pageLagMs !== undefined && f.pageLagMs >= 500 ? f.pageLagMs : undefined;
  const drops = f.drops ?? 0;
  if (!s && !r && lag === undefined && drops === 0) return undefined;
  const parts: string[] = [];
  if (lag !== undefined)
    parts.push(
      lang === 'vi'
        ? `trang bị trễ tối đa ${(lag / 1000).toFixed(1).replace('.', ',')} giây`
        : `page delayed up to ${(lag / 1000).toFixed(1)} s`,
    );
  if (drops > 0)
    parts.push(lang === 'vi' ? `mất kết nối ${drops} lần` : `connection lost ${drops}×`);
  if (s) {
    if (s.sentHeight) parts.push(`${s.sentHeight}p ${Math.round(s.sentFps ?? 0)} fps`);
    parts.push(
      lang === 'vi'
        ? `CPU giới hạn ${Math.round(s.cpuLimitedPercent)} %`
        : `CPU-limited ${Math.round(s.cpuLimitedPercent)} %`,
    );
    if (s.encodeMs !== undefined)
      parts.push(`${lang === 'vi' ? 'mã hoá' : 'encode'} ${s.encodeMs} ms`);
    if (s.estimateKbps !== undefined)
      parts.push(`${lang === 'vi' ? 'ước lượng gửi' : 'send estimate'} ${s.estimateKbps} kbps`);
  }
  if (r) {
    if (r.decodeMs !== undefined)
      parts.push(`${lang === 'vi' ? 'giải mã' : 'decode'} ${r.decodeMs} ms`);
    parts.push(
      lang === 'vi'
        ? `bỏ ${r.framesDropped}/${r.framesReceived} hình`
        : `dropped ${r.framesDropped}/${r.framesReceived} frames`,
    );
  }
  return parts.join(' · ');
}
