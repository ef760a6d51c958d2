const TSV_SPECIAL = /[\t\n\r\\]/;
const TSV_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A string as a `TabSeparated` field (backslash, tab, newline and carriage return escaped); null is `\N`. */
export function tsvField(value: string | null): string {
  if (value === null) return '\\N';
  return TSV_SPECIAL.test(value) ? value.replace(/[\t\n\r\\]/g, (c) => TSV_ESCAPES[c] as string) : value;
}

const QUOTED_ESCAPES: Record<string, string> = { ...TSV_ESCAPES, "'": "\\'" };

/**
 * An array as a `TabSeparated` field, as ClickHouse writes one: `[1,2]`, `['a','b']`. ClickHouse reads an array's
 * text straight from the row, its strings quoted (a quote and a backslash escaped, and a tab, newline and carriage
 * return too, so no raw one ends the field).
 */
export function tsvArray(values: ReadonlyArray<string | number>): string {
  let text = '[';
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as string | number;
    if (i > 0) text += ',';
    text += typeof value === 'number' ? tsvNumber(value) : `'${value.replace(/[\t\n\r\\']/g, (c) => QUOTED_ESCAPES[c] as string)}'`;
  }
  return `${text}]`;
}

/** A finite number as ClickHouse reads it (JavaScript's shortest text that reads back as the same double). */
export function tsvNumber(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError(`not a finite number: ${value}`);
  return String(value);
}
