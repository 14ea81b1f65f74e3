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
  /** One field of the letter; the id is the key in kebab case ("l-signer-title"). */
  const field = (k: keyof LetterForm, options: { multiline?: boolean; date?: boolean } = {}) => (
    <TextField
      id={`l-${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`}
      label={L[k]}
      {...(options.multiline ? { multiline: true } : {})}
      {...(options.date ? { inputMode: 'numeric' as const, placeholder: 'dd/mm/yyyy' } : {})}
      value={l[k]}
      onInput={set(k)}
      error={e(k)}
    />
  );
  return (
    <details class="card" open={hasErrors || undefined}>
      <summary>
        <strong>{L.title}</strong>
      </summary>
      <div class="grid-3" style={{ marginTop: '12px' }}>
        {field('authority')}
        {field('number')}
        {field('place')}
        {field('date', { date: true })}
      </div>
      {field('subject', { multiline: true })}
      <div class="grid-2">
        {field('addressees', { multiline: true })}
        {field('distribution', { multiline: true })}
      </div>
      {field('preamble', { multiline: true })}
      <div class="grid-2">
        {field('signerTitle', { multiline: true })}
        {field('signerName')}
      </div>
    </details>
  );
}
