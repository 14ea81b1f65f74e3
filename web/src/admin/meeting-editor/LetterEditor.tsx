import { useI18n } from '../../i18n.js';
import { TextField } from '../../ui.js';
import type { FieldErrors, LetterForm } from './form.js';

/** The convening letter's fields (công văn triệu tập), as the editor labels them. */
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

/** The convening letter (số, V/v, kính gửi, nơi nhận, người ký); opens when a field is wrong. */
export function LetterEditor(props: {
  letter: LetterForm;
  errors: FieldErrors;
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
