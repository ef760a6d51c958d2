import { agentClass, createRedactor, redactUrl, type TrailmarkEvent } from '@trailmark/protocol';
import { json } from './http.js';
import { identityStep } from './identities.js';
import { ParamError, textParam } from './query-params.js';
import { SITE_VISITORS } from './read-api.js';

/** Events read per request: one request stays well inside a Worker's CPU time and D1's statement limits. */
const CHUNK = 200;

/**
 * `POST /admin/redact?after=<cursor>&table=<events|visitor_users>` (secret key): today's privacy rules over one chunk
 * of the site's data stored before them. First the events, by `event_id` order: the payload through the protocol's
 * redactor, the user agent as its class; the first call (no `after`) also redacts the `website` of the site's visitor
 * rows. Then the identities (`visitor_users`, migration 0010), by visitor id: one whose user id the rules now redact
 * is derived again from the visitor's events as now redacted (its earliest identification the rules leave whole), or
 * removed. Answers `{ done, table, read, changed, next }` (this chunk's table, the rows it read and changed, and
 * the `{ table, after }` of the next call, null when done); `scripts/redact-stored.mjs` calls it with `next` until
 * `done`. Idempotent.
 */
export async function redactStoredChunk(db: D1Database, siteId: string, params: URLSearchParams): Promise<Response> {
  const after = textParam(params, 'after') ?? '';
  const table = textParam(params, 'table') ?? 'events';
  if (table !== 'events' && table !== 'visitor_users') throw new ParamError('table: must be events or visitor_users');
  const redactor = createRedactor();
  if (table === 'visitor_users') {
    const step = await identityStep(db, siteId, after, 0, (row) => redactor.value(row.user_id) !== row.user_id);
    const next = step.next === undefined ? null : { table, after: step.next };
    return json({ done: next === null, table, next, read: step.read, changed: step.changed });
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
  // After the last chunk of events, the identities, derived from the events as redacted.
  const next = rows.results.length < CHUNK ? { table: 'visitor_users', after: '' } : { table, after: last?.event_id ?? '' };
  return json({ done: false, table, next, read: rows.results.length, changed });
}
