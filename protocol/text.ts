import { z } from 'zod';

/*
 * Text people read, as data: both languages side by side, Vietnamese first. The page picks one
 * with localize(); nothing ever splits a joined string. Browser-safe: pure zod.
 */
export interface Text {
  vi: string;
  en: string;
}

export const textSchema = z.object({ vi: z.string(), en: z.string() });

/** The same words in both languages (a name, a figure, text someone typed). */
export const sameText = (s: string): Text => ({ vi: s, en: s });

/**
 * zod keeps an issue's message as a string, so a schema's bilingual message travels inside it
 * as JSON with a marker; issueText() reads it back. zod's own messages (plain English) stay as
 * they are and read as the same text in both languages.
 */
const MARK = '\u0001text';

/** The message to give zod for a bilingual text. */
export function zodMessage(t: Text): string {
  return MARK + JSON.stringify([t.vi, t.en]);
}

/** The bilingual text of a zod issue's message (see zodMessage). */
export function issueText(message: string): Text {
  if (message.startsWith(MARK)) {
    try {
      const parsed: unknown = JSON.parse(message.slice(MARK.length));
      if (Array.isArray(parsed) && typeof parsed[0] === 'string' && typeof parsed[1] === 'string')
        return { vi: parsed[0], en: parsed[1] };
    } catch {
      // Not ours after all: shown as it is.
    }
  }
  return sameText(message);
}

/** Joins texts language by language: join([a, b], '; ') keeps vi with vi and en with en. */
export function joinTexts(parts: readonly Text[], separator: string | Text = ' '): Text {
  const sep = typeof separator === 'string' ? sameText(separator) : separator;
  return {
    vi: parts.map((p) => p.vi).join(sep.vi),
    en: parts.map((p) => p.en).join(sep.en),
  };
}

/** Builds a text from pieces, each a Text or a plain string shared by both languages. */
export function concatText(...parts: (Text | string | number)[]): Text {
  const pick = (p: Text | string | number, lang: keyof Text) =>
    typeof p === 'object' ? p[lang] : String(p);
  return {
    vi: parts.map((p) => pick(p, 'vi')).join(''),
    en: parts.map((p) => pick(p, 'en')).join(''),
  };
}
