import {
  defaultCheckAt,
  formatDateTime,
  formatTime,
  vietnamDate,
} from '../../../../protocol/time.js';
import { useI18n } from '../../i18n.js';
import { Checkbox, TextField } from '../../ui.js';
import { displayDate, isoOf, parseDate, parseTime } from './dates.js';
import type { FieldErrors, MeetingForm } from './form.js';

type TimeFields = Pick<
  MeetingForm,
  'date' | 'opens' | 'closes' | 'checkDefault' | 'checkDate' | 'checkTime' | 'checkDuration'
>;

/** Date, opening and closing, and the technical check (08:00 the day before unless set). */
export function TimeSection(props: {
  form: TimeFields;
  errors: FieldErrors;
  onChange: (patch: Partial<TimeFields>) => void;
}) {
  const { t } = useI18n();
  const { form, onChange: up } = props;
  const err = (k: string) => props.errors[k];
  const defaultCheck =
    parseDate(form.date) && parseTime(form.opens)
      ? defaultCheckAt(isoOf(form.date, form.opens))
      : '';
  return (
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
  );
}
