import { agentClass, createRedactor, type PropValue, type TrailmarkEvent } from '@trailmark/protocol';
import type { Db, Queryable } from './db.js';

/** What a run over stored data changed, per table. */
export type RedactStoredResult = Record<string, number>;

const CHUNK = 1000;

/** Columns never rewritten: identifiers (and the raw table, which is rewritten from its JSON). */
const isIdColumn = (column: string) => column === 'id' || column.endsWith('_id');

/**
 * Today's privacy rules over data stored before them (`trailmark-pg redact`): every raw event's JSON through the
 * protocol's redactor (its `url` and `path` columns from the result, its user agent as its class), then every text
 * and JSON column of every table derived from them (sessions, page views, events, forms, rollups: identifiers
 * excepted), in chunks of 1,000 rows, each chunk in a transaction, and last the identities (`redactIdentities`). A
 * derived row whose redacted key collides with a row that already has that key (two paths that differed only by an
 * e-mail address) is removed: the row with the redacted key stays. Idempotent: a second run changes nothing.
 */
export async function redactStored(db: Db): Promise<RedactStoredResult> {
  const redactor = createRedactor();
  const result: RedactStoredResult = { events_log: 0 };
  for (let after = 0; ; ) {
    const rows = await db.query<{ id: string; raw: TrailmarkEvent | string; user_agent: string | null }>(
      'SELECT id::text AS id, raw_event_data AS raw, user_agent FROM events_log WHERE id > $1 ORDER BY id LIMIT $2',
      [after, CHUNK],
    );
    if (rows.length === 0) break;
    await db.transaction(async (tx) => {
      for (const row of rows) {
        const raw = typeof row.raw === 'string' ? (JSON.parse(row.raw) as TrailmarkEvent) : row.raw;
        const event = redactor.event(raw);
        const agent = agentClass(row.user_agent);
        if (JSON.stringify(event) === JSON.stringify(raw) && agent === row.user_agent) continue;
        await tx.query('UPDATE events_log SET raw_event_data = $1::jsonb, url = $2, path = $3, user_agent = $4 WHERE id = $5', [
          JSON.stringify(event),
          event.url,
          event.path,
          agent,
          row.id,
        ]);
        result.events_log = (result.events_log ?? 0) + 1;
      }
    });
    after = Number(rows[rows.length - 1]?.id);
  }
  const columns = await db.query<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
     JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
     WHERE c.table_schema = current_schema() AND c.data_type IN ('text', 'jsonb', 'character varying')
       AND c.table_name NOT IN ('events_log', 'traffic_platforms', 'visitor_users') AND c.table_name NOT LIKE '%migrations%'
       -- A generated column (user_sessions.browser and os, migration 09) follows the column it is computed from.
       AND c.is_generated = 'NEVER'
     ORDER BY c.table_name, c.ordinal_position`,
  );
  const tables = new Map<string, Array<{ name: string; json: boolean }>>();
  for (const { table_name: table, column_name: name, data_type: type } of columns) {
    if (isIdColumn(name)) continue;
    const list = tables.get(table) ?? [];
    list.push({ name, json: type === 'jsonb' });
    tables.set(table, list);
  }
  for (const [table, cols] of tables) result[table] = await redactTable(db, table, cols, redactor.value);
  result.visitor_users = await redactIdentities(db, redactor.value);
  return result;
}

/**
 * The identities whose user id today's rules redact (`visitor_users`, migration 06), derived again from the events as
 * now redacted (`visitor_users_rebuild()`, migration 07: the earliest identification the rules leave whole), or
 * removed. Read a chunk at a time; derived again in one pass over the raw events.
 */
async function redactIdentities(db: Db, value: (input: PropValue) => PropValue): Promise<number> {
  const sites: string[] = [];
  const visitors: string[] = [];
  for (let after = ['', '']; ; ) {
    const rows = await db.query<{ site_id: string; visitor_id: string; user_id: string }>(
      `SELECT site_id, visitor_id, user_id FROM visitor_users WHERE (site_id, visitor_id) > ($1, $2)
       ORDER BY site_id, visitor_id LIMIT ${CHUNK}`,
      after,
    );
    for (const row of rows) {
      if (value(row.user_id) === row.user_id) continue;
      sites.push(row.site_id);
      visitors.push(row.visitor_id);
    }
    const last = rows[rows.length - 1];
    if (!last) break;
    after = [last.site_id, last.visitor_id];
  }
  if (sites.length === 0) return 0;
  const [row] = await db.query<{ changed: string | number }>('SELECT visitor_users_rebuild($1::text[], $2::text[]) AS changed', [
    sites,
    visitors,
  ]);
  return Number(row?.changed ?? 0);
}

/** One derived table's text and JSON columns through the rules, a chunk of rows (by `ctid`) at a time. */
async function redactTable(
  db: Db,
  table: string,
  cols: ReadonlyArray<{ name: string; json: boolean }>,
  value: (input: PropValue) => PropValue,
): Promise<number> {
  const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const select = cols.map((c) => (c.json ? `${quoted(c.name)}::text AS ${quoted(c.name)}` : quoted(c.name))).join(', ');
  let changed = 0;
  for (let after = '(0,0)'; ; ) {
    const rows = await db.query<Record<string, string | null>>(
      `SELECT ctid::text AS ctid, ${select} FROM ${quoted(table)} WHERE ctid > $1::tid ORDER BY ctid LIMIT ${CHUNK}`,
      [after],
    );
    if (rows.length === 0) break;
    await db.transaction(async (tx) => {
      for (const row of rows) {
        const next = cols.map((c) => redactColumn(c.name, c.json, row[c.name] ?? null, value));
        pairRedacted(cols, row, next, value);
        // JSON compared as JSON: PostgreSQL writes `{"a": 1}` where JSON.stringify writes `{"a":1}`.
        const same = cols.every((c, i) => {
          const was = row[c.name] ?? null;
          return next[i] === (c.json && was !== null ? JSON.stringify(JSON.parse(was)) : was);
        });
        if (same) continue;
        changed++;
        await rewrite(tx, table, cols, next, row.ctid as string, quoted);
      }
    });
    after = rows[rows.length - 1]?.ctid as string;
  }
  return changed;
}

/**
 * A property kept as two columns, its name (`prop`) and its value (`value`: visit_goal_props, migration 05): the
 * rules judge the value by its name (`kennwort: hunter2`), so the two go through them together, as the property.
 */
function pairRedacted(
  cols: ReadonlyArray<{ name: string }>,
  row: Record<string, string | null>,
  next: Array<string | null>,
  value: (input: PropValue) => PropValue,
): void {
  const prop = cols.findIndex((c) => c.name === 'prop');
  const val = cols.findIndex((c) => c.name === 'value');
  const name = row.prop;
  if (prop < 0 || val < 0 || typeof name !== 'string' || row.value == null) return;
  const [entry] = Object.entries(value({ [name]: row.value }) as Record<string, PropValue>);
  if (!entry) return;
  next[prop] = entry[0];
  next[val] = typeof entry[1] === 'string' ? entry[1] : JSON.stringify(entry[1]);
}

function redactColumn(name: string, json: boolean, text: string | null, value: (input: PropValue) => PropValue): string | null {
  if (text === null) return null;
  if (name === 'user_agent') return agentClass(text);
  return json ? JSON.stringify(value(JSON.parse(text) as PropValue)) : (value(text) as string);
}

/** Updates one row; where the redacted key is taken (a unique constraint), the row goes instead. */
async function rewrite(
  tx: Queryable,
  table: string,
  cols: ReadonlyArray<{ name: string; json: boolean }>,
  values: ReadonlyArray<string | null>,
  ctid: string,
  quoted: (name: string) => string,
): Promise<void> {
  const sets = cols.map((c, i) => `${quoted(c.name)} = $${i + 1}${c.json ? '::jsonb' : ''}`).join(', ');
  await tx.query('SAVEPOINT redact_row');
  try {
    await tx.query(`UPDATE ${quoted(table)} SET ${sets} WHERE ctid = $${cols.length + 1}::tid`, [...values, ctid]);
    await tx.query('RELEASE SAVEPOINT redact_row');
  } catch (error) {
    if ((error as { code?: string }).code !== '23505') throw error;
    await tx.query('ROLLBACK TO SAVEPOINT redact_row');
    await tx.query(`DELETE FROM ${quoted(table)} WHERE ctid = $1::tid`, [ctid]);
  }
}
