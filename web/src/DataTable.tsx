import type { ComponentChildren } from 'preact';

/**
 * The admin pages' data table: a scrolling wrapper, a header row of column names and the
 * caller's rows (whose first cell is usually `<th scope="row">`).
 */
export function DataTable(props: {
  columns: readonly ComponentChildren[];
  /** Read by screen readers only. */
  caption?: string;
  testId?: string;
  /** Extra classes of the wrapper, e.g. "card". */
  wrapClass?: string;
  children: ComponentChildren;
}) {
  return (
    <div class={props.wrapClass ? `${props.wrapClass} table-wrap` : 'table-wrap'}>
      <table class="data" data-testid={props.testId}>
        {props.caption ? <caption class="visually-hidden">{props.caption}</caption> : null}
        <thead>
          <tr>
            {props.columns.map((c, i) => (
              <th scope="col" key={i}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}
