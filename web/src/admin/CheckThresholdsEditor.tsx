import { type MeetingCheckThresholds, thresholdLabels } from '../../../protocol/check/queue.js';
import { useI18n } from '../i18n.js';
import { TextField } from '../ui.js';

/** The meeting's own check thresholds as typed: an empty box follows the service's setting. */
export type ThresholdsForm = Record<keyof MeetingCheckThresholds, string>;

const keys = Object.keys(thresholdLabels) as (keyof MeetingCheckThresholds)[];

export function thresholdsFormOf(t: MeetingCheckThresholds | undefined): ThresholdsForm {
  return Object.fromEntries(
    keys.map((k) => [k, t?.[k] === undefined ? '' : String(t[k])]),
  ) as ThresholdsForm;
}

/** The PUT/POST field: only the boxes filled in; absent when every box is empty. */
export function thresholdsInputOf(f: ThresholdsForm): { checkThresholds?: MeetingCheckThresholds } {
  const set = keys.filter((k) => f[k].trim() !== '');
  if (set.length === 0) return {};
  return {
    checkThresholds: Object.fromEntries(
      set.map((k) => [k, Number(f[k].trim().replace(',', '.'))]),
    ) as MeetingCheckThresholds,
  };
}

const text = {
  title: { vi: 'Ngưỡng kiểm tra kết nối của hội nghị', en: 'This meeting’s check thresholds' },
  hint: {
    vi: 'Để trống để dùng ngưỡng chung của hệ thống. Buổi diễn tập một điểm cầu có thể chấp nhận thấp hơn buổi phát cho 200 điểm cầu.',
    en: 'Leave empty to use the service’s thresholds. A one-site rehearsal may accept less than a 200-site broadcast.',
  },
};

export function CheckThresholdsEditor(props: {
  value: ThresholdsForm;
  errors: Record<string, string>;
  onChange: (v: ThresholdsForm) => void;
}) {
  const { lang } = useI18n();
  return (
    <section class="card" aria-labelledby="sec-thresholds" data-testid="check-thresholds">
      <h2 id="sec-thresholds">{text.title[lang]}</h2>
      <p class="muted">{text.hint[lang]}</p>
      <div class="grid-2">
        {keys.map((k) => (
          <TextField
            key={k}
            id={`m-th-${k}`}
            label={thresholdLabels[k][lang]}
            value={props.value[k]}
            inputMode="numeric"
            onInput={(v) => props.onChange({ ...props.value, [k]: v })}
            error={props.errors[`checkThresholds.${k}`]}
          />
        ))}
      </div>
    </section>
  );
}
