import {
  agentClass,
  createRedactor,
  type Redactor,
  redactDropStatements,
  redactUrl,
  redactVisitStatements,
  type SqlStatement,
  type StoredVisitRows,
  type TrailmarkEvent,
  VISIT_TEXT_TABLES,
  visitFirstEventId,
  visitRowsFrom,
} from '@trailmark/protocol';
import { json } from './http.js';
import { identityStep } from './identities.js';
import { ParamError, textParam } from './query-params.js';
import { SITE_VISITORS } from './read-api.js';
import { guardFailed, versionStatements } from './visit-fold.js';
import { rebuildVisits } from './visit-rollups.js';

/** Events read per request: one request stays well inside a Worker's CPU time and D1's statement limits. */
const CHUNK = 200;
/** Visits read per request (each with its rows of five tables). */
const VISIT_CHUNK = 100;
const TABLES = ['events', 'visitor_users', 'visits'];

/**
 * `POST /admin/redact?after=<cursor>&table=<events|visitor_users|visits>` (secret key): today's privacy rules over one
 * chunk of the site's data stored before them. First the events, by `event_id` order: the payload through the
 * protocol's redactor, the user agent as its class; the first call (no `after`) also redacts the `website` of the
 * site's visitor rows. Then the identities (`visitor_users`, migration 0010), by visitor id: one whose user id the
 * rules now redact is derived again from the visitor's events as now redacted (its earliest identification the rules
 * leave whole), or removed. Then the per-visit rollups (migration 0008), by session id: a visit whose rows the rules
 * change is rebuilt from its redacted events when its first event is still stored (retention deletes by time, so then
 * they all are), else its free-text columns are redacted (`redactVisitStatements`: ids kept whole); the first such
 * call also redacts the site's drop reports' reasons (guarded by each visit's `version`, as the ingest's fold is: a fold
 * or rebuild in between fails the chunk's batch, which is read and redacted again). Answers `{ done, table, read, changed, next }` (this chunk's table, the rows it read and changed, and
 * the `{ table, after }` of the next call, null when done); `scripts/redact-stored.mjs` calls it with `next` until
 * `done`. Idempotent.
 */
export async function redactStoredChunk(db: D1Database, siteId: string, params: URLSearchParams): Promise<Response> {
  const after = textParam(params, 'after') ?? '';
  const table = textParam(params, 'table') ?? 'events';
  if (!TABLES.includes(table)) throw new ParamError(`table: must be ${TABLES.join(', ')}`);
  const redactor = createRedactor();
  if (table === 'visits') {
    const step = await visitsStep(db, siteId, after, redactor);
    const next = step.next === undefined ? null : { table, after: step.next };
    return json({ done: next === null, table, next, read: step.read, changed: step.changed });
  }
  if (table === 'visitor_users') {
    const step = await identityStep(db, siteId, after, 0, (row) => redactor.value(row.user_id) !== row.user_id);
    const next = { table: step.next === undefined ? 'visits' : table, after: step.next ?? '' };
    return json({ done: false, table, next, read: step.read, changed: step.changed });
  }
  const statements: D1PreparedStatement[] = [];
  if (after === '') {
    const visitors = await db
      .prepare(`SELECT id, website FROM visitors WHERE ${SITE_VISITORS}`)
      .bind(siteId)
      .all<{ id: number; website: string | null }>();
    for (const row of visitors.results) {
      const website = row.website === null ? null : redactUrl(row.website);
      if (website !== row.website) statements.push(db.prepare('UPDATE visitors SET website = ?1 WHERE id = ?2').bind(website, row.id));
    }
  }
  const rows = await db
    .prepare('SELECT event_id, payload, user_agent FROM events WHERE site_id = ?1 AND event_id > ?2 ORDER BY event_id LIMIT ?3')
    .bind(siteId, after, CHUNK)
    .all<{ event_id: string; payload: string; user_agent: string | null }>();
  let changed = statements.length;
  for (const row of rows.results) {
    const payload = JSON.stringify(redactor.event(JSON.parse(row.payload) as TrailmarkEvent));
    const agent = agentClass(row.user_agent);
    if (payload === row.payload && agent === row.user_agent) continue;
    statements.push(db.prepare('UPDATE events SET payload = ?1, user_agent = ?2 WHERE event_id = ?3').bind(payload, agent, row.event_id));
    changed++;
  }
  if (statements.length > 0) await db.batch(statements);
  const last = rows.results[rows.results.length - 1];
  // After the last chunk of events, the identities and the visits, derived from the events as redacted.
  const next = rows.results.length < CHUNK ? { table: 'visitor_users', after: '' } : { table, after: last?.event_id ?? '' };
  return json({ done: false, table, next, read: rows.results.length, changed });
}

/**
 * One chunk of the site's visits (by session id) through the rules: rebuilt from their events (`rebuildVisits`, as
 * the ingest keeps them) or redacted column by column, as `redactStoredChunk` says. The first chunk also redacts the
 * drop reports' reasons. Returns the chunk's last session id (undefined at the end), the visits read and changed.
 */
async function visitsStep(
  db: D1Database,
  site: string,
  after: string,
  redactor: Redactor,
): Promise<{ next: string | undefined; read: number; changed: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await visitsStepOnce(db, site, after, redactor);
    } catch (error) {
      if (!guardFailed(error) || attempt >= 4) throw error;
    }
  }
}

async function visitsStepOnce(
  db: D1Database,
  site: string,
  after: string,
  redactor: Redactor,
): Promise<{ next: string | undefined; read: number; changed: number }> {
  const states = await db
    .prepare('SELECT session_id, state FROM visit_states WHERE site_id = ?1 AND session_id > ?2 ORDER BY session_id LIMIT ?3')
    .bind(site, after, VISIT_CHUNK)
    .all<{ session_id: string; state: string }>();
  const sessions = JSON.stringify(states.results.map((row) => row.session_id));
  const firsts = JSON.stringify(states.results.map((row) => visitFirstEventId(row.state)));
  const reads = await db.batch<Record<string, string | number | null>>([
    ...VISIT_TEXT_TABLES.map((t) =>
      db
        .prepare(`SELECT * FROM ${visitRowsFrom(t)} WHERE site_id = ?1 AND session_id IN (SELECT value FROM json_each(?2))`)
        .bind(site, sessions),
    ),
    db.prepare('SELECT event_id FROM events WHERE event_id IN (SELECT value FROM json_each(?1))').bind(firsts),
    db.prepare(`SELECT * FROM drop_reports WHERE site_id = ?1 AND ?2 = ''`).bind(site, after),
  ]);
  const bySession = new Map<string, StoredVisitRows>();
  VISIT_TEXT_TABLES.forEach((t, i) => {
    for (const row of reads[i]?.results ?? []) {
      const session = row.session_id as string;
      let rows = bySession.get(session);
      if (!rows) {
        rows = { visits: [], visit_states: [], visit_pages: [], visit_goal_props: [], visit_links: [] };
        bySession.set(session, rows);
      }
      (rows[t] as Array<Record<string, string | number | null>>).push(row);
    }
  });
  const stored = new Set((reads[VISIT_TEXT_TABLES.length]?.results ?? []).map((row) => row.event_id));
  // Each redacted row is a delete and an upsert.
  const statements: SqlStatement[] = redactDropStatements(reads[VISIT_TEXT_TABLES.length + 1]?.results ?? [], redactor);
  let changed = statements.length / 2;
  const rebuild: string[] = [];
  for (const { session_id: session, state } of states.results) {
    const rows = bySession.get(session);
    const redacted = rows ? redactVisitStatements(site, session, rows, redactor) : [];
    if (redacted.length === 0) continue;
    changed++;
    if (stored.has(visitFirstEventId(state))) rebuild.push(session);
    else {
      // Redacted in place over the version read: a fold of the visit's new events since then fails this batch.
      const [guard, bump] = versionStatements(site, session, Number(rows?.visits[0]?.version ?? 0));
      statements.push(guard, ...redacted, bump);
    }
  }
  if (statements.length > 0) await db.batch(statements.map(({ sql, params }) => db.prepare(sql).bind(...params)));
  await rebuildVisits(db, site, rebuild);
  const last = states.results[states.results.length - 1];
  const next = states.results.length < VISIT_CHUNK ? undefined : last?.session_id;
  return { next, read: states.results.length, changed };
}
