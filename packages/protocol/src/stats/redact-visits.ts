import type { PropValue } from '../event.js';
import type { Redactor } from '../redact.js';
import type { SqlStatement } from './sqlite-rollups.js';
import { DROP_UPSERT, GOAL_PROP_UPSERT, LINK_UPSERT, PAGE_UPSERT } from './sqlite-upserts.js';

/**
 * Today's privacy rules over the per-visit rollups of the two SQLite backends (`sqlite-rollups.ts`) written before
 * them, for the redact commands. A visit whose rows hold a value the rules change is rebuilt from its (redacted)
 * events by the backend when they are all stored (`visitFirstEventId`: its first event still is); when retention has
 * taken some, its rows are redacted here column by column: the free-text columns only, never an id, a time or a
 * figure. A row whose key the rules change is merged into the row of the redacted key (two paths that differed only
 * by an e-mail address become one page, its views summed), by the upsert the store adds with.
 */

type Cell = string | number | null;
type Row = Record<string, Cell>;

/** A visit's rows as stored (`SELECT * FROM <table> WHERE site_id = ? AND session_id = ?`, one query per table). */
export interface StoredVisitRows {
  visits: readonly Row[];
  visit_states: readonly Row[];
  visit_pages: readonly Row[];
  visit_goal_props: readonly Row[];
  visit_links: readonly Row[];
}

/** The tables of `StoredVisitRows`: the only per-visit tables with free text (the others hold ids, types, figures). */
export const VISIT_TEXT_TABLES = ['visits', 'visit_states', 'visit_pages', 'visit_goal_props', 'visit_links'] as const;

/**
 * Each table's FROM clause for reading a visit's rows (`SELECT * FROM <this> WHERE site_id = ? AND session_id …`):
 * by its index by visit. SQLite's planner otherwise reads a child table's whole site by its primary key for a
 * `SELECT *` (measured: 1 ms a visit at 5,000 visits).
 */
export function visitRowsFrom(table: (typeof VISIT_TEXT_TABLES)[number]): string {
  return table === 'visit_states' ? table : `${table} INDEXED BY ${table}_session`;
}

/** The free-text columns of a `visits` row: its pages, source and attribution. */
const VISIT_TEXT_COLUMNS = ['entry_page', 'exit_page', 'source', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign'] as const;

/** Keys of a visit's fold state whose strings are ids (`VisitState`: the visitor, each event key's id), kept whole. */
const STATE_ID_KEYS = new Set(['visitor', 'id']);

/** The id of a visit's first event, from its fold state (`visit_states.state`): the visit is whole while it is stored. */
export function visitFirstEventId(state: string): string {
  return (JSON.parse(state) as { first: { id: string } }).first.id;
}

/** The statements that redact one visit's rows column by column; none when the rules change nothing in them. */
export function redactVisitStatements(site: string, session: string, rows: StoredVisitRows, redactor: Redactor): SqlStatement[] {
  const text = (input: Cell) => (typeof input === 'string' ? (redactor.value(input) as string) : input);
  const out: SqlStatement[] = [];
  const where = [site, session];
  for (const visit of rows.visits) {
    const next = VISIT_TEXT_COLUMNS.map((column) => text(visit[column] ?? null));
    if (next.every((cell, i) => cell === (visit[VISIT_TEXT_COLUMNS[i] as string] ?? null))) continue;
    out.push({
      sql: `UPDATE visits SET ${VISIT_TEXT_COLUMNS.map((column) => `${column} = ?`).join(', ')} WHERE site_id = ? AND session_id = ?`,
      params: [...next, ...where],
    });
  }
  for (const { state } of rows.visit_states) {
    if (typeof state !== 'string') continue;
    const next = JSON.stringify(redactState(JSON.parse(state) as PropValue, text));
    if (next !== state)
      out.push({ sql: 'UPDATE visit_states SET state = ? WHERE site_id = ? AND session_id = ?', params: [next, ...where] });
  }
  for (const row of rows.visit_pages) {
    const path = text(row.path ?? null);
    if (path === row.path) continue;
    out.push(
      { sql: 'DELETE FROM visit_pages WHERE site_id = ? AND session_id = ? AND path = ?', params: [...where, row.path ?? null] },
      { sql: PAGE_UPSERT, params: [...where, path, ...cells(row, ['views', 'times', 'scroll', 'engaged_ms']), ...copied(site, row)] },
    );
  }
  for (const row of rows.visit_links) {
    const url = text(row.url ?? null);
    if (url === row.url) continue;
    out.push(
      {
        sql: 'DELETE FROM visit_links WHERE site_id = ? AND session_id = ? AND kind = ? AND url = ?',
        params: [...where, ...cells(row, ['kind', 'url'])],
      },
      { sql: LINK_UPSERT, params: [...where, row.kind ?? null, url, row.events ?? null, ...copied(site, row)] },
    );
  }
  for (const row of rows.visit_goal_props) {
    // The value is judged by its name (`kennwort: hunter2`): the two go through the rules together, as the property.
    const [prop, value] = redactedProp(row, redactor);
    if (prop === row.prop && value === row.value) continue;
    out.push(
      {
        sql: 'DELETE FROM visit_goal_props WHERE site_id = ? AND session_id = ? AND name = ? AND prop = ? AND value = ?',
        params: [...where, ...cells(row, ['name', 'prop', 'value'])],
      },
      { sql: GOAL_PROP_UPSERT, params: [...where, row.name ?? null, prop, value, row.events ?? null, ...copied(site, row)] },
    );
  }
  return out;
}

/** The statements that redact a site's drop reports' reasons (`drop_reports`: per site and time, no visit). */
export function redactDropStatements(rows: readonly Row[], redactor: Redactor): SqlStatement[] {
  const out: SqlStatement[] = [];
  for (const row of rows) {
    if (typeof row.reason !== 'string') continue;
    const reason = redactor.value(row.reason) as string;
    if (reason === row.reason) continue;
    out.push(
      { sql: 'DELETE FROM drop_reports WHERE site_id = ? AND ts = ? AND reason = ?', params: cells(row, ['site_id', 'ts', 'reason']) },
      { sql: DROP_UPSERT, params: [row.site_id ?? null, row.ts ?? null, reason, row.dropped ?? null] },
    );
  }
  return out;
}

const cells = (row: Row, columns: readonly string[]) => columns.map((column) => row[column] ?? null);

/** The columns a child row copies from its visit, with the visitor-key lookup's bind values. */
const copied = (site: string, row: Row) => [row.start_ts ?? null, row.visitor_id ?? null, row.bot ?? null, site, row.visitor_id ?? null];

function redactedProp(row: Row, redactor: Redactor): [Cell, Cell] {
  const name = row.prop;
  if (typeof name !== 'string' || typeof row.value !== 'string') return [row.prop ?? null, row.value ?? null];
  const [entry] = Object.entries(redactor.value({ [name]: row.value }) as Record<string, PropValue>);
  if (!entry) return [name, row.value];
  return [entry[0], typeof entry[1] === 'string' ? entry[1] : JSON.stringify(entry[1])];
}

/** Every string of a fold state through the rules, but its ids (`STATE_ID_KEYS`); unchanged parts shared. */
function redactState(input: PropValue, text: (input: Cell) => Cell, key?: string): PropValue {
  if (typeof input === 'string') return key !== undefined && STATE_ID_KEYS.has(key) ? input : (text(input) as string);
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  const out: Record<string, PropValue> = {};
  for (const [name, item] of Object.entries(input)) out[name] = redactState(item, text, name);
  return out;
}
