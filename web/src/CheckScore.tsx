import type { CheckResult } from '../../protocol/check/index.js';
import {
  assessCheck,
  bandwidthText,
  type CheckAssessment,
  type Grade,
  gradeLabels,
} from '../../protocol/check/score.js';
import { mediaPathAdvice, mediaPathLabel } from '../../protocol/mediaPath.js';
import { computerLine } from './CheckReasons.js';
import { type Lang, localize } from './i18n.js';

const gradeClass: Record<Grade, string> = {
  good: 'ok',
  fair: 'warn',
  poor: 'danger',
  bad: 'danger',
};

/** The stored assessment; results stored before it existed are assessed from their figures. */
export function assessmentOf(result: CheckResult): CheckAssessment {
  return result.assessment ?? assessCheck(result.figures);
}

/**
 * One grade per site and the sentence behind it ("Tốt: tiếng rõ (MOS 4,4), hình đủ cho 720p"),
 * with every raw figure one click away.
 */
export function CheckScore(props: {
  result: CheckResult;
  lang: Lang;
  /** Open the figures at once (screenshots). */
  open?: boolean;
}) {
  const { result, lang } = props;
  const a = assessmentOf(result);
  const f = result.figures;
  const vi = lang === 'vi';
  const computer = computerLine(f, lang);
  return (
    <div class="check-score" data-testid="check-score" data-grade={a.grade}>
      <div>
        <span class={`badge ${gradeClass[a.grade]}`} data-testid="check-grade">
          {gradeLabels[a.grade][lang]}
        </span>{' '}
        <span data-testid="check-summary">{a.summary[lang]}</span>
      </div>
      {f.path && !f.interrupted ? (
        <div class="figures" data-testid="check-path" data-path={f.path}>
          {vi ? 'Đường truyền' : 'Media path'}:{' '}
          <strong>{localize(mediaPathLabel(f.path, f.relayPort), lang)}</strong>
          {' — '}
          {localize(mediaPathAdvice[f.path], lang)}
        </div>
      ) : null}
      <details open={props.open} data-testid="check-figures">
        <summary>{vi ? 'Số liệu đo' : 'Measured figures'}</summary>
        <dl class="facts" style={{ marginTop: '8px' }}>
          <dt>{vi ? 'Băng thông gửi đi' : 'Uplink bandwidth'}</dt>
          <dd data-testid="bw-up">{bandwidthText(a.uplink, lang)}</dd>
          <dt>{vi ? 'Băng thông nhận về' : 'Downlink bandwidth'}</dt>
          <dd data-testid="bw-down">{bandwidthText(a.downlink, lang)}</dd>
          <dt>{vi ? 'Tiếng (MOS, E-model)' : 'Audio (MOS, E-model)'}</dt>
          <dd>
            {f.interrupted
              ? bandwidthText({ method: 'none', confidence: 'low' }, lang)
              : vi
                ? `${a.audio.mos.toFixed(1).replace('.', ',')} / 4,5 · R${Math.round(a.audio.r)}`
                : `${a.audio.mos.toFixed(1)} / 4.5 · R${Math.round(a.audio.r)}`}
          </dd>
          <dt>{vi ? 'Hình' : 'Video'}</dt>
          <dd>{a.video.text[lang]}</dd>
          {f.interrupted ? null : (
            <>
              <dt>{vi ? 'Chiều gửi' : 'Uplink'}</dt>
              <dd>
                {Math.round(f.uplink.kbps)} kbps · {vi ? 'mất gói' : 'loss'}{' '}
                {f.uplink.lossPercent.toFixed(1)}% · jitter {Math.round(f.uplink.jitterMs)} ms
              </dd>
              <dt>{vi ? 'Chiều nhận' : 'Downlink'}</dt>
              <dd>
                {Math.round(f.downlink.kbps)} kbps · {vi ? 'mất gói' : 'loss'}{' '}
                {f.downlink.lossPercent.toFixed(1)}% · jitter {Math.round(f.downlink.jitterMs)} ms
                {f.downlink.rttMs !== undefined ? ` · RTT ${Math.round(f.downlink.rttMs)} ms` : ''}
                {` · ${f.downlink.framesDecoded} ${vi ? 'hình giải mã' : 'frames decoded'}`}
              </dd>
              <dt>{vi ? 'Kết nối máy chủ' : 'Signaling'}</dt>
              <dd>
                {Math.round(f.signalingMs)} ms
                {f.iceDtlsMs !== undefined ? ` · ICE + DTLS ${Math.round(f.iceDtlsMs)} ms` : ''} (
                {f.candidateType}, {f.protocol.toUpperCase()})
              </dd>
            </>
          )}
          {computer ? (
            <>
              <dt>{vi ? 'Máy tính' : 'Computer'}</dt>
              <dd>{computer}</dd>
            </>
          ) : null}
        </dl>
      </details>
    </div>
  );
}
