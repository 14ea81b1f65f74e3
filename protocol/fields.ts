import { z } from 'zod';
import { type Text, zodMessage } from './text.js';

/**
 * Field builders shared by every HTTP body. Messages are in both languages (zodMessage) and
 * name the field in words; the error handler adds the path ("body.sites.2.siteId").
 * Only zod checks and overwrites here (no .transform): the same schemas serialize responses
 * and generate OpenAPI, and a transform can do neither.
 */
export type Label = Text;

const required = (l: Label) => zodMessage({ vi: `${l.vi} là bắt buộc`, en: `${l.en} is required` });

function stringOf(label: Label, kind: Text = { vi: 'chuỗi', en: 'text' }) {
  return z.string({
    error: (iss) =>
      iss.input === undefined
        ? required(label)
        : zodMessage({
            vi: `${label.vi} phải là ${kind.vi}`,
            en: `${label.en} must be ${kind.en}`,
          }),
  });
}

/*
 * The one free-text rule: no C0/C1 control characters (a newline only where the field is
 * multiline), no bidi embeddings, overrides or isolates (U+202A–U+202E, U+2066–U+2069: they make
 * "invoice\u202Efdp.zip" show as "invoicepiz.pdf"), and no U+FFFD (bytes that were not UTF-8).
 */
const forbidden = '\\p{Cc}\\u202A-\\u202E\\u2066-\\u2069\\uFFFD';
const singleLine = new RegExp(`^[^${forbidden}]*$`, 'u');
const multiLine = new RegExp(`^(?:[^${forbidden}]|\\n)*$`, 'u');

/** True when the text follows the free-text rule (for values that are not zod-parsed, e.g. file names). */
export function isFreeText(value: string, options: TextOptions = {}): boolean {
  return (options.multiline ? multiLine : singleLine).test(value);
}

const invalidChars = (label: Label) =>
  zodMessage({
    vi: `${label.vi} chứa ký tự không hợp lệ (ký tự điều khiển hoặc đảo chiều)`,
    en: `${label.en} contains invalid characters (control or bidi override)`,
  });

const tooLong = (label: Label, max: number) =>
  zodMessage({
    vi: `${label.vi} dài tối đa ${max} ký tự`,
    en: `${label.en} must be at most ${max} characters`,
  });

/** Form submissions send CRLF line breaks; stored text has newlines only. */
const crlf = (s: string) => s.replace(/\r\n?/g, '\n');

export interface TextOptions {
  /** Allow line breaks (banner text, notes). */
  multiline?: boolean;
}

/** Text people type: NFC-normalized (Vietnamese diacritics have two encodings), trimmed, bounded. */
export function text(label: Label, max: number, options: TextOptions = {}) {
  return stringOf(label)
    .normalize('NFC')
    .overwrite(crlf)
    .trim()
    .min(1, {
      error: zodMessage({
        vi: `${label.vi} không được để trống`,
        en: `${label.en} must not be empty`,
      }),
    })
    .max(max, { error: tooLong(label, max) })
    .regex(options.multiline ? multiLine : singleLine, { error: invalidChars(label) });
}

/** Like text() but may be empty or absent (forms send ""). */
export function optionalText(label: Label, max: number, options: TextOptions = {}) {
  return stringOf(label)
    .normalize('NFC')
    .overwrite(crlf)
    .trim()
    .max(max, { error: tooLong(label, max) })
    .regex(options.multiline ? multiLine : singleLine, { error: invalidChars(label) })
    .optional();
}

export function list<T extends z.ZodType>(item: T, label: Label, max: number) {
  return z
    .array(item, {
      error: (iss) =>
        iss.input === undefined
          ? required(label)
          : zodMessage({ vi: `${label.vi} phải là danh sách`, en: `${label.en} must be a list` }),
    })
    .max(max, {
      error: zodMessage({
        vi: `${label.vi}: tối đa ${max} mục`,
        en: `${label.en}: at most ${max} items`,
      }),
    });
}

export function integer(label: Label, min: number, max: number) {
  const range = zodMessage({
    vi: `${label.vi} phải là số nguyên từ ${min} đến ${max}`,
    en: `${label.en} must be a whole number from ${min} to ${max}`,
  });
  return z
    .number({ error: (iss) => (iss.input === undefined ? required(label) : range) })
    .int({ error: range })
    .min(min, { error: range })
    .max(max, { error: range });
}

/** Record ids: random UUIDs today; the pattern keeps anything odd out of Redis keys and URLs. */
const ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;
const invalidId = zodMessage({ vi: 'Mã không hợp lệ', en: 'Invalid id' });
export const idSchema = z.string({ error: invalidId }).regex(ID_PATTERN, { error: invalidId });

/** The one id rule, with the field named in the message. */
export function idOf(label: Label) {
  return stringOf(label).regex(ID_PATTERN, {
    error: zodMessage({ vi: `${label.vi} không hợp lệ`, en: `${label.en} is not a valid id` }),
  });
}

const isoPattern =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/** An instant with an explicit offset, e.g. 2011-11-01T07:30:00+07:00; never a floating local time. */
export function isoDateTime(label: Label) {
  const message: Text = {
    vi: `${label.vi} phải theo dạng ISO 8601 có múi giờ, ví dụ 2011-11-01T07:30:00+07:00`,
    en: `${label.en} must be ISO 8601 with an offset, e.g. 2011-11-01T07:30:00+07:00`,
  };
  return stringOf(label)
    .regex(isoPattern, { error: zodMessage(message) })
    .refine((s) => isCalendarDate(s.slice(0, 10)) && !Number.isNaN(Date.parse(s)), {
      error: zodMessage({
        vi: `${message.vi}; ${label.vi}: ngày không có thật`,
        en: `${message.en}; ${label.en}: no such date`,
      }),
    });
}

/**
 * yyyy-mm-dd names a day that exists: Date.parse rolls 2027-02-30 over to 2 March. The day is
 * read as written, in the string's own offset (Asia/Ho_Chi_Minh for every time we print).
 */
export function isCalendarDate(ymd: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/** A calendar date (yyyy-mm-dd), e.g. the date printed on a letter. */
export function localDate(label: Label) {
  const message = zodMessage({
    vi: `${label.vi} phải theo dạng yyyy-mm-dd`,
    en: `${label.en} must be yyyy-mm-dd`,
  });
  return stringOf(label)
    .regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, { error: message })
    .refine(isCalendarDate, { error: message });
}

export function optionalEmail(label: Label) {
  return optionalText(label, 200).refine(
    (s) => s === undefined || s === '' || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s),
    {
      error: zodMessage({
        vi: `${label.vi} không hợp lệ`,
        en: `${label.en} is not a valid e-mail address`,
      }),
    },
  );
}

export function optionalPhone(label: Label) {
  return optionalText(label, 40).refine((s) => s === undefined || /^[0-9+().\s/-]*$/.test(s), {
    error: zodMessage({
      vi: `${label.vi} chỉ gồm chữ số, dấu cách và + ( ) . - /`,
      en: `${label.en} may contain only digits, spaces and + ( ) . - /`,
    }),
  });
}

/** Audit and record timestamps: always UTC, written by the server. */
export const timestampSchema = z.string();

/** Every stored record carries a version; writes must name the version they read (409 when stale). */
export const versionSchema = integer(
  { vi: 'Phiên bản', en: 'Version' },
  1,
  Number.MAX_SAFE_INTEGER,
);
