import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';

/**
 * A printable document from Preact elements: every text and attribute is escaped by the
 * renderer, so a field cannot turn into markup. The style sheet is the one raw part, and it is
 * the document's own constant, never data.
 */
export function renderDocument(element: VNode): string {
  return `<!doctype html>\n${renderToString(element)}\n`;
}

/**
 * The document's `<head>`: charset, title (text, escaped) and its constant style sheet; the
 * viewport line for documents also read on a phone (the convocation).
 */
export function DocumentHead(props: { title: string; css: string; viewport?: boolean }) {
  return (
    <head>
      <meta charset="utf-8" />
      {props.viewport && <meta name="viewport" content="width=device-width, initial-scale=1" />}
      <title>{props.title}</title>
      <style dangerouslySetInnerHTML={{ __html: props.css }} />
    </head>
  );
}

/** Items separated by line breaks, each a text node (contacts, roles, a field's own lines). */
export function BrJoined(props: { items: readonly string[] }) {
  return (
    <>
      {props.items.map((item, i) => (
        <>
          {i > 0 && <br />}
          {item}
        </>
      ))}
    </>
  );
}

/** A multi-line field with its line breaks kept. */
export function Lines(props: { text: string }) {
  return <BrJoined items={props.text.split(/\r?\n/)} />;
}

/** The letters' header: the organizer on the left, the state's name and motto on the right. */
export function LetterHead(props: { organizer: string }) {
  return (
    <table class="head">
      <tr>
        <td>
          <b>{props.organizer.toLocaleUpperCase('vi')}</b>
          <hr class="rule" />
        </td>
        <td>
          <b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b>
          <br />
          <b>Độc lập – Tự do – Hạnh phúc</b>
          <hr class="rule" />
        </td>
      </tr>
    </table>
  );
}
