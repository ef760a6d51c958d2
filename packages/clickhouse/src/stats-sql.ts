import type { StatsDimension, StatsQuery } from '@trailmark/protocol';

/**
 * What every panel's SQL shares: bind parameters and the selection of visits (site, range, traffic, filters). The
 * figures are the ones `statsPanel()` in @trailmark/protocol computes from raw events
 * (the stats suite holds them equal): exact uniques (uniqExact), strings ordered by bytes (code points), unknown
 * values last. Every panel reads the `visits` rows alone (migration 07 put the reports' per-visit figures there).
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
 * `uniqExact` counts: a 128-bit SipHash of `u` and the user it was identified as, else of `v` and the visitor id
 * (`visits.visitor_key`, migration 08; the user's from `visitor_persons`, migration 09; the prefixes keep a user id that equals some visitor id apart from it, as
 * `personOf()`'s do). Counting 16-byte values instead of strings made the visitor figures about a third cheaper;
 * two people are counted as one only if their 128-bit hashes collide (about 10⁻²⁶ for a billion people). Valid
 * where `visitsWhere(…, { persons: true })` joined the site's identities (`id_person` is 0 for a visitor identified
 * as no one).
 */
export const PERSON = `if(id_person = 0, visits.visitor_key, id_person)`;

/**
 * The site's identified visitors and the person each is (`visitor_persons`, migration 09: the earliest
 * identification of each, in fixed-width columns), joined to the visits by their 16-byte visitor key: one hash
 * lookup per visit row; a site that identified no one joins an empty table. FINAL: a visitor's rows of several
 * inserts merged to the one of the earliest identification as they are read.
 */
const identities = (site: string): string =>
  `ANY LEFT JOIN (SELECT visitor_key AS id_key, person AS id_person FROM visitor_persons FINAL WHERE site_id = ${site}) AS ids
     ON ids.id_key = visits.visitor_key`;

/** What `visitsWhere` adds to the visits it selects. */
export interface VisitsOptions {
  /** An `ARRAY JOIN` unnesting Nested columns of the row. */
  arrayJoin?: string;
  /** Join each visit's person (`PERSON`): for the panels that count visitors. */
  persons?: boolean;
  /**
   * Join the persons before unnesting (`arrayJoin`): one lookup per visit instead of one per element, for arrays
   * longer than a visit's one on average whose elements all count (pages). A filtered unnesting (links of one kind,
   * a goal's events) keeps fewer rows than visits, and joins after it.
   */
  personsFirst?: boolean;
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
  if (options.persons && options.personsFirst && options.arrayJoin) {
    return `FROM (SELECT visits.*, visits.visitor_key AS visitor_key, id_person FROM visits FINAL ${identities(site)} WHERE ${where.join(' AND ')})
      AS visits ${options.arrayJoin} WHERE 1`;
  }
  const joins = [options.arrayJoin ?? '', options.persons ? identities(site) : ''].filter(Boolean).join(' ');
  return `FROM visits FINAL ${joins} WHERE ${where.join(' AND ')}`;
}

/** `ORDER BY` of a ranked list: visitors, then a second figure, both descending, then the key (unknown last). */
export const ORDER = (second: string, key: string): string => `ORDER BY nv DESC, ${second} DESC, ${key} ASC NULLS LAST`;

/** A JSON number's text as JavaScript writes it (ClickHouse writes 1e+21 as 1e21). */
export const jsNumberText = (text: string): string => String(Number(text));
