import { BUILTIN_TYPES, type StatsDimension, type StatsQuery, VISIT_MARGIN_MS } from '@trailmark/protocol';

/**
 * What every panel's SQL shares: bind parameters, the selection of visits (site, range, traffic, filters) and the
 * events of those visits. The figures are the ones `statsPanel()` in @trailmark/protocol computes from raw events
 * (the stats suite holds them equal): exact uniques (uniqExact), strings ordered by bytes (code points), unknown
 * values last.
 */

/** Named bind parameters; `add()` answers the `{pN:Type}` placeholder. */
export function binds() {
  const values: Record<string, unknown> = {};
  let n = 0;
  return {
    values,
    add(value: unknown, type: string) {
      const name = `p${n++}`;
      values[name] = value;
      return `{${name}:${type}}`;
    },
  };
}
export type Binds = ReturnType<typeof binds>;

/** A count or sum as a number (64-bit integers arrive as strings). */
export const n = (value: unknown): number => Number(value ?? 0);

/** The visit columns a dimension reads (every dimension but `page` is a column of its own). */
export const COLUMN: Record<Exclude<StatsDimension, 'page'>, string> = {
  entry_page: 'entry_page',
  exit_page: 'exit_page',
  source: 'source',
  referrer: 'referrer',
  utm_source: 'utm_source',
  utm_medium: 'utm_medium',
  utm_campaign: 'utm_campaign',
  country: 'country',
  device: 'device',
  browser: 'browser',
  os: 'os',
};

/**
 * The person a selected visit's visitor is (`personOf()` in @trailmark/protocol), as a fixed-width value
 * `uniqExact` counts: a 128-bit SipHash of `u` and the user it was identified as, else of `v` and the visitor id (the
 * prefixes keep a user id that equals some visitor id apart from it, as `personOf()`'s do). Counting 16-byte values
 * instead of strings made the visitor figures about a third cheaper; two people are counted as one only if their
 * 128-bit hashes collide (about 10⁻²⁶ for a billion people). Valid where `visitsWhere(…, { persons: true })` joined
 * the site's identities.
 */
export const PERSON = `if(id_user = '', sipHash128('v', visits.visitor_id), sipHash128('u', id_user))`;

/**
 * The site's identified visitors and the user each is (`visitor_users`, migration 06: the earliest identification
 * of each), joined to the visits by visitor: one hash lookup per visit row; a site that identified no one joins an
 * empty table.
 */
const identities = (site: string): string =>
  `ANY LEFT JOIN (SELECT visitor_id AS id_visitor, argMinMerge(user_id) AS id_user FROM visitor_users
     WHERE site_id = ${site} GROUP BY visitor_id) AS ids ON ids.id_visitor = visits.visitor_id`;

/** What `visitsWhere` adds to the visits it selects. */
export interface VisitsOptions {
  /** An `ARRAY JOIN` unnesting Nested columns of the row. */
  arrayJoin?: string;
  /** Join each visit's person (`PERSON`): for the panels that count visitors. */
  persons?: boolean;
}

/**
 * `FROM visits FINAL … WHERE`: the site's visits that started in the range, are of the traffic asked for (humans by
 * default: the loader judged each visit once, `visits.bot`) and pass every filter.
 */
export function visitsWhere(siteId: string, query: StatsQuery, b: Binds, options: VisitsOptions = {}): string {
  const site = b.add(siteId, 'String');
  const where = [`site_id = ${site}`, `start_ms >= ${b.add(query.from, 'Int64')}`, `start_ms < ${b.add(query.to, 'Int64')}`];
  for (const [dimension, value] of Object.entries(query.filters) as Array<[StatsDimension, string | null]>) {
    if (dimension === 'page') where.push(value === null ? 'pageviews = 0' : `has(pages.path, ${b.add(value, 'String')})`);
    else where.push(value === null ? `${COLUMN[dimension]} IS NULL` : `${COLUMN[dimension]} = ${b.add(value, 'String')}`);
  }
  if (query.bots !== 'include') where.push(`bot IS ${query.bots === 'only' ? 'NOT ' : ''}NULL`);
  const joins = [options.arrayJoin ?? '', options.persons ? identities(site) : ''].filter(Boolean).join(' ');
  return `FROM visits FINAL ${joins} WHERE ${where.join(' AND ')}`;
}

/** The selected visits (`visitsWhere`) as a subquery of `session_id, visitor_id, start_ms`. */
export function selectedVisits(siteId: string, query: StatsQuery, b: Binds): string {
  return `SELECT visits.session_id AS session_id, visitor_id, start_ms ${visitsWhere(siteId, query, b)}`;
}

/**
 * The events of the selected visits that pass `where`, each with its visit's visitor, then its person (`PERSON`):
 * `FROM (…) AS visits` and the identities' join. The person is looked up only for the visits a report's events
 * are in, not for every visit of the range.
 */
export function eventsWithPersons(siteId: string, query: StatsQuery, b: Binds, events: string, where: string): string {
  return `FROM (SELECT e.*, v.visitor_id AS visitor_id
      FROM (${selectedVisits(siteId, query, b)}) AS v INNER JOIN (${events}) AS e ON e.session_id = v.session_id WHERE ${where}) AS visits
    ${identities(b.add(siteId, 'String'))}`;
}

/**
 * The site's events of the given types that the selected visits may hold, each once (a redelivered event is a
 * second row until ClickHouse merges it away: FINAL merges the rows of one key as it reads them in key order, only
 * where parts overlap, where `LIMIT 1 BY` kept a hash set of every row read): server time from the range's start to
 * a visit's margin past its end, as the reference reads them. `columns` are expressions over an `events` row.
 */
export function eventsOf(siteId: string, query: StatsQuery, b: Binds, types: readonly string[] | 'goals', columns: string): string {
  const typeWhere = types === 'goals' ? `type NOT IN ${b.add(BUILTIN_TYPES, 'Array(String)')}` : `type IN ${b.add(types, 'Array(String)')}`;
  return `SELECT session_id, event_id, ${columns} FROM events FINAL
    WHERE site_id = ${b.add(siteId, 'String')} AND ${typeWhere}
      AND ts >= ${b.add(query.from, 'Int64')} AND ts <= ${b.add(query.to + VISIT_MARGIN_MS, 'Int64')}`;
}

/** `ORDER BY` of a ranked list: visitors, then a second figure, both descending, then the key (unknown last). */
export const ORDER = (second: string, key: string): string => `ORDER BY nv DESC, ${second} DESC, ${key} ASC NULLS LAST`;

/** A JSON number's text as JavaScript writes it (ClickHouse writes 1e+21 as 1e21). */
export const jsNumberText = (text: string): string => String(Number(text));
