/**
 * Identity stitching: the visitor figures count people, not browsers. A visitor (a browser's `visitor_id`) that sent
 * an event carrying a `user_id` (after `identify()`) is that user from its first event on, its anonymous visits
 * before the login included; every visitor identified as the same user is one person. A visitor never identified is
 * a person of its own. A browser identified as two users (a shared computer without `reset()` at logout) stays the
 * user it was identified as first (earliest event by time, sequence number, event id), so the answer never depends
 * on the order events arrive in. docs/identity.md describes it for site owners.
 */

/**
 * What every redaction marker begins with (`[redacted]`, `[redacted:email]`): a user id holding one was changed by
 * the redaction. Written out in `identityStatements`' migrations' backfills too.
 */
export const REDACTION_MARK = '[redacted';

/** What stitching reads of an event (a `StatsEvent` has it). */
export interface IdentityEvent {
  event_id: string;
  ts: number;
  seq?: number | undefined;
  visitor_id: string;
  user_id?: string | undefined;
}

/** Each identified visitor's user id (visitor id → user id), for one site. */
export type Identities = ReadonlyMap<string, string>;

/**
 * The user id an event identifies its visitor as, or undefined. A user id the backends' redaction changed (an
 * e-mail address, a phone number) names no one any more: it would make every such user one person, so it does
 * not identify.
 */
export function identifiedUser(event: Pick<IdentityEvent, 'user_id'>): string | undefined {
  const user = event.user_id;
  return typeof user === 'string' && user !== '' && !user.includes(REDACTION_MARK) ? user : undefined;
}

/** Whether identifying event `a` comes before `b` (time, sequence number, event id: the visits' order). */
const earlier = (a: IdentityEvent, b: IdentityEvent) =>
  a.ts - b.ts < 0 || (a.ts === b.ts && ((a.seq ?? 0) < (b.seq ?? 0) || ((a.seq ?? 0) === (b.seq ?? 0) && a.event_id < b.event_id)));

/** The first identifying event of each visitor among `events` (of one site). */
function firstIdentifications(events: Iterable<IdentityEvent>): Map<string, IdentityEvent> {
  const first = new Map<string, IdentityEvent>();
  for (const event of events) {
    if (identifiedUser(event) === undefined) continue;
    const seen = first.get(event.visitor_id);
    if (!seen || earlier(event, seen)) first.set(event.visitor_id, event);
  }
  return first;
}

/** The identities events of one site establish: the reference for what a backend's `visitor_users` table holds. */
export function identitiesOf(events: Iterable<IdentityEvent>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [visitor, event] of firstIdentifications(events)) out.set(visitor, identifiedUser(event) as string);
  return out;
}

/**
 * The person a visitor counts as: `u:<user id>` when identified, else `v:<visitor id>` (the prefixes keep a user
 * id that equals some visitor id apart from it). `personSql` computes the same in SQL.
 */
export function personOf(identities: Identities, visitor: string): string {
  const user = identities.get(visitor);
  return user === undefined ? `v:${visitor}` : `u:${user}`;
}

/**
 * The person of a rollup row of site `siteId` (`alias` has `site_id` and `visitor_id`) in SQL, as `personOf`
 * computes it: one primary-key lookup in `visitor_users` per row (measured: a distinct count over 255,000 visit rows
 * takes 2.5 times as long as over bare visitor ids). A site that never identified anyone skips the lookups (its
 * visitors are its people; the check runs once per query), and counts `unidentified` instead: the visitor id, or on
 * SQLite its integer key. The one place the SQLite and Postgres panels resolve people.
 */
export function personSql(alias: string, siteId: string, unidentified = `${alias}.visitor_id`): string {
  const site = `'${siteId.replaceAll("'", "''")}'`;
  const lookup = `coalesce((SELECT 'u:' || m.user_id FROM visitor_users m WHERE m.site_id = ${alias}.site_id AND m.visitor_id = ${alias}.visitor_id), 'v:' || ${alias}.visitor_id)`;
  return `CASE WHEN EXISTS (SELECT 1 FROM visitor_users WHERE site_id = ${site}) THEN ${lookup} ELSE ${unidentified} END`;
}

/**
 * Keeps the earliest identification of each visitor: a later-arriving earlier event replaces the row, a repeat or
 * a later one changes nothing (so the table is the same whatever the order or number of deliveries).
 */
const IDENTITY_UPSERT = `INSERT INTO visitor_users (site_id, visitor_id, user_id, ts, seq, event_id) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (site_id, visitor_id) DO UPDATE SET user_id = excluded.user_id, ts = excluded.ts, seq = excluded.seq,
  event_id = excluded.event_id
  WHERE (excluded.ts, excluded.seq, excluded.event_id) < (visitor_users.ts, visitor_users.seq, visitor_users.event_id)`;

/** What newly stored events add to `visitor_users` (receiver migration 007, D1 migration 0010): one statement per visitor. */
export function identityStatements(
  events: Iterable<IdentityEvent & { site_id: string }>,
): Array<{ sql: string; params: Array<string | number> }> {
  const bySite = new Map<string, Array<IdentityEvent & { site_id: string }>>();
  for (const event of events) {
    if (identifiedUser(event) === undefined) continue;
    const list = bySite.get(event.site_id);
    if (list) list.push(event);
    else bySite.set(event.site_id, [event]);
  }
  const out: Array<{ sql: string; params: Array<string | number> }> = [];
  for (const [site, list] of bySite) {
    for (const [visitor, event] of firstIdentifications(list)) {
      out.push({
        sql: IDENTITY_UPSERT,
        params: [site, visitor, identifiedUser(event) as string, event.ts, event.seq ?? 0, event.event_id],
      });
    }
  }
  return out;
}

/** How a SQLite backend's `events` table holds an event: its visitor id and its JSON, as SQL expressions. */
export interface SqliteEventColumns {
  /** The visitor id (the receiver: `json_extract(data, '$.visitor_id')`; D1: the `visitor_id` column). */
  visitor: string;
  /** The event's JSON column (`data`, `payload`). */
  json: string;
}

/**
 * The statements that derive `visitors`' identities (site id, visitor id pairs) again from the identifying events
 * stored at or after `since`: each row becomes the visitor's earliest identification among them, or goes where none
 * is left. Run, in one transaction, where a row's source went: retention deleted the events it came from, or
 * today's rules redact its user id (`redact`, after the events were redacted). A visitor identified again later
 * keeps its identity, and so its earlier visits; a user id is never kept past the events that carry it.
 */
export function identityRebuildStatements(
  columns: SqliteEventColumns,
  visitors: ReadonlyArray<readonly [site: string, visitor: string]>,
  since: number,
): Array<{ sql: string; params: Array<string | number> }> {
  if (visitors.length === 0) return [];
  const { visitor, json } = columns;
  // One JSON parameter, whatever the number of visitors (D1 binds at most 100 parameters).
  const list = JSON.stringify(visitors);
  const chosen = `SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?)`;
  const user = `json_extract(${json}, '$.user_id')`;
  const seq = `coalesce(json_extract(${json}, '$.seq'), 0)`;
  return [
    { sql: `DELETE FROM visitor_users WHERE (site_id, visitor_id) IN (${chosen})`, params: [list] },
    {
      sql: `INSERT INTO visitor_users (site_id, visitor_id, user_id, ts, seq, event_id)
        SELECT site_id, visitor_id, user_id, ts, seq, event_id FROM (
          SELECT site_id, ${visitor} AS visitor_id, ${user} AS user_id, ts, ${seq} AS seq, event_id,
            row_number() OVER (PARTITION BY site_id, ${visitor} ORDER BY ts, ${seq}, event_id) AS n
          FROM events
          WHERE ts >= ? AND (site_id, ${visitor}) IN (${chosen})
            AND json_type(${json}, '$.user_id') = 'text' AND ${user} <> '' AND instr(${user}, '${REDACTION_MARK}') = 0
        ) WHERE n = 1`,
      params: [since, list],
    },
  ];
}
