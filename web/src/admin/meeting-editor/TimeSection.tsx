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
  /** A date (dd/mm/yyyy) or time (hh:mm) typed as text. */
  const typed = (
    id: string,
    key: 'date' | 'opens' | 'closes' | 'checkDate' | 'checkTime',
    label: string,
    kind: 'date' | 'time',
    errorKey: string,
    more: { hint?: string; required?: boolean } = {},
  ) => (
    <TextField
      id={id}
      label={label}
      {...more}
      inputMode="numeric"
      placeholder={kind === 'date' ? 'dd/mm/yyyy' : 'hh:mm'}
      value={form[key]}
      onInput={(v) => up({ [key]: v })}
      error={err(errorKey)}
    />
  );
  return (
    <section class="card" aria-labelledby="sec-time">
      <h2 id="sec-time">{t('sectionTime')}</h2>
      <div class="grid-3">
        {typed('m-date', 'date', t('fDate'), 'date', 'date', {
          hint: t('dateHint'),
          required: true,
        })}
        {typed('m-opens', 'opens', t('fOpensAt'), 'time', 'opensAt', {
          hint: t('timeHint'),
          required: true,
        })}
        {typed('m-closes', 'closes', t('fClosesAt'), 'time', 'closesAt', {
          hint: t('timeHint'),
          required: true,
        })}
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
          {typed('m-check-date', 'checkDate', t('fCheckDate'), 'date', 'checkDate')}
          {typed('m-check-time', 'checkTime', t('fCheckTime'), 'time', 'checkAt')}
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
