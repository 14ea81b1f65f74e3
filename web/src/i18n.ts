import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Text } from '../../protocol/text.js';
import { en } from './messages/en.js';
import { type Dictionary, type MessageKey, vi } from './messages/vi.js';

/*
 * Vietnamese first, English second. Every string a person reads lives in messages/ (one
 * dictionary per language, the English one checked against the Vietnamese keys by the compiler);
 * this module picks the language and fills in the parameters.
 */

export type { MessageKey };

export type Lang = 'vi' | 'en';
const dictionaries: Record<Lang, Dictionary> = { vi, en };
const STORAGE_KEY = 'diemcau.lang';

export function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'vi' || saved === 'en') return saved;
  } catch {
    // Storage may be disabled; Vietnamese is the default anyway.
  }
  return 'vi';
}

export function saveLang(lang: Lang): void {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Not remembered, still switched.
  }
  document.documentElement.lang = lang;
}

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

export function translator(lang: Lang): Translate {
  const dict = dictionaries[lang];
  return (key, params) => {
    let s = dict[key] ?? vi[key] ?? key;
    if (params) for (const [k, v] of Object.entries(params)) s = s.replaceAll(`{${k}}`, String(v));
    return s.normalize('NFC');
  };
}

/** Text that travels as data (server messages, labels of the contract) in the reader's language. */
export function localize(text: Text, lang: Lang): string {
  return text[lang].normalize('NFC');
}

export interface I18n {
  lang: Lang;
  t: Translate;
  setLang: (lang: Lang) => void;
}

export const I18nContext = createContext<I18n>({
  lang: 'vi',
  t: translator('vi'),
  setLang: () => {},
});

export function useI18n(): I18n {
  return useContext(I18nContext);
}
