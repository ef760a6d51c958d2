import type { StatsPanel } from './contract.js';

/**
 * Any panel as CSV (`GET /v1/stats/<panel>?format=csv`, and the dashboard's download button): one line per row of
 * the panel (its `rows`, `points`, `steps` or `days`; the summary and live count are one row), a header of the
 * fields, nested counts (completeness's drop reasons) as `dropped.<reason>` columns, times also as ISO dates.
 */

type Row = Record<string, unknown>;

/** The rows of a panel's data. */
function rowsOf(data: unknown): Row[] {
  if (typeof data !== 'object' || data === null) return [];
  const record = data as Row;
  for (const name of ['rows', 'points', 'steps', 'days']) if (Array.isArray(record[name])) return record[name] as Row[];
  return [record];
}

function flatten(row: Row): Row {
  const out: Row = {};
  for (const [key, value] of Object.entries(row)) {
    if (key === 't' && typeof value === 'number') out.date = new Date(value).toISOString();
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [inner, count] of Object.entries(value)) out[`${key}.${inner}`] = count;
    } else out[key] = value;
  }
  return out;
}

/** One CSV field (RFC 4180 quoting); text a spreadsheet would run as a formula is prefixed with a quote. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A panel's data as CSV text (CRLF line ends). */
export function statsCsv(data: unknown): string {
  const rows = rowsOf(data).map(flatten);
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
    }
  }
  const lines = [columns.map(csvField).join(',')];
  for (const row of rows)
    lines.push(columns.map((column) => csvField(row[column] ?? (column.startsWith('dropped.') ? 0 : null))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** Whether a stats request asks for CSV (`format=csv`); `parseStatsQuery()` refuses any other format but json. */
export const wantsCsv = (params: URLSearchParams): boolean => params.get('format') === 'csv';

/** The answer of a stats request: `{ ok, site_id, data }` as JSON, or the panel as a CSV download. */
export function statsResponse(panel: StatsPanel, siteId: string, data: unknown, params: URLSearchParams): Response {
  if (!wantsCsv(params)) {
    return new Response(JSON.stringify({ ok: true, site_id: siteId, data }), {
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
  }
  return new Response(statsCsv(data), {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="trailmark-${panel}.csv"`,
    },
  });
}
