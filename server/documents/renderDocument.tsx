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

/** The document's `<head>`: charset, title (text, escaped) and its constant style sheet. */
export function DocumentHead(props: { title: string; css: string }) {
  return (
    <head>
      <meta charset="utf-8" />
      <title>{props.title}</title>
      <style dangerouslySetInnerHTML={{ __html: props.css }} />
    </head>
  );
}
