import { BUILTIN_TYPES, type StatsDimension, type StatsQuery, VISIT_MARGIN_MS } from '@trailmark/protocol';
import { botSessionsSql } from './stats-bots.js';

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

/** A stats query with, where known, the site's bot visits (`botSets()`): otherwise the SQL asks for them. */
export type ChQuery = StatsQuery & { botIds?: readonly string[] | undefined };

/**
 * `FROM visits FINAL … WHERE`: the site's visits that started in the range, are of the traffic asked for (humans by
 * default) and pass every filter. `arrayJoin` unnests a Nested column of the row.
 */
export function visitsWhere(siteId: string, query: ChQuery, b: Binds, arrayJoin = ''): string {
  const where = [
    `site_id = ${b.add(siteId, 'String')}`,
    `start_ms >= ${b.add(query.from, 'Int64')}`,
    `start_ms < ${b.add(query.to, 'Int64')}`,
  ];
  for (const [dimension, value] of Object.entries(query.filters) as Array<[StatsDimension, string | null]>) {
    if (dimension === 'page') where.push(value === null ? 'pageviews = 0' : `has(pages.path, ${b.add(value, 'String')})`);
    else where.push(value === null ? `${COLUMN[dimension]} IS NULL` : `${COLUMN[dimension]} = ${b.add(value, 'String')}`);
  }
  if (query.bots !== 'include') {
    const bots = query.botIds ? b.add(query.botIds, 'Array(String)') : `(${botSessionsSql(b.add(siteId, 'String'))})`;
    where.push(`visits.session_id ${query.bots === 'only' ? 'IN' : 'NOT IN'} ${bots}`);
  }
  return `FROM visits FINAL ${arrayJoin} WHERE ${where.join(' AND ')}`;
}

/** The selected visits (`visitsWhere`) as a subquery of `session_id, visitor_id, start_ms`. */
export function selectedVisits(siteId: string, query: ChQuery, b: Binds): string {
  return `SELECT visits.session_id AS session_id, visitor_id, start_ms ${visitsWhere(siteId, query, b)}`;
}

/**
 * The site's events of the given types that the selected visits may hold, each once (a redelivered event is a
 * second row until ClickHouse merges it away): server time from the range's start to a visit's margin past its end,
 * as the reference reads them. `columns` are expressions over an `events` row.
 */
export function eventsOf(siteId: string, query: StatsQuery, b: Binds, types: readonly string[] | 'goals', columns: string): string {
  const typeWhere = types === 'goals' ? `type NOT IN ${b.add(BUILTIN_TYPES, 'Array(String)')}` : `type IN ${b.add(types, 'Array(String)')}`;
  return `SELECT session_id, event_id, ${columns} FROM events
    WHERE site_id = ${b.add(siteId, 'String')} AND ${typeWhere}
      AND ts >= ${b.add(query.from, 'Int64')} AND ts <= ${b.add(query.to + VISIT_MARGIN_MS, 'Int64')}
    LIMIT 1 BY session_id, event_id`;
}

/** `ORDER BY` of a ranked list: visitors, then a second figure, both descending, then the key (unknown last). */
export const ORDER = (second: string, key: string): string => `ORDER BY nv DESC, ${second} DESC, ${key} ASC NULLS LAST`;

/** A JSON number's text as JavaScript writes it (ClickHouse writes 1e+21 as 1e21). */
export const jsNumberText = (text: string): string => String(Number(text));
