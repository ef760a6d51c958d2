import type { ChStore } from './store.js';

/**
 * The site's visits judged a bot's (`botReason()` in @trailmark/protocol): the first event's device class or the
 * SDK's automation flag say so, or behaviour does (five pageviews with page leaves and no sign of a person, or ten
 * at under a second each). `visit_signals` (migration 05) holds what the rules read, folded as the events arrive.
 * `site` is the placeholder of the site id.
 */
export const botSessionsSql = (site: string): string =>
  `SELECT session_id FROM visit_signals WHERE site_id = ${site} GROUP BY session_id
    HAVING max(automation) OR argMinMerge(ua_bot)
      OR (uniqExactMerge(views) AS pv) >= 5 AND max(leaves) AND NOT max(engaged)
      OR pv >= 10 AND max(last_view) - min(first_view) < (toInt64(pv) - 1) * 1000`;

/** How a request reads: on one thread or more, and the site's bot visits when they are kept in memory. */
export interface ReadPlan {
  /** Below `ONE_THREAD_VISITS` visit rows a panel runs on one thread. */
  oneThread: boolean;
  /** The site's bot visits; undefined: the panel's SQL selects them itself (small tables, or too many bots). */
  botIds: readonly string[] | undefined;
}

/** The read plan of a site's requests. */
export interface ReadPlanner {
  plan(store: ChStore, siteId: string): Promise<ReadPlan>;
}

/** Below this many visit rows (all sites) a panel runs on one thread: on a busy machine a second cost more than it saved. */
export const ONE_THREAD_VISITS = 200_000;
/** How long the size of the visits table is taken as known, ms (it only picks the plan; every plan is exact). */
const SIZE_TTL_MS = 10_000;

const PARTS = `SELECT toString(maxIf(max_block_number, table = 'visit_signals')) AS version,
    sumIf(rows, table = 'visits') AS visit_rows
  FROM system.parts WHERE database = currentDatabase() AND table IN ('visit_signals', 'visits') AND active`;

/**
 * Plans each request. Small tables: one thread, and the bot visits selected inside each panel's query (a few ms).
 * Large tables: every thread, and each site's bot visits (up to `maxIds`) kept while `visit_signals` is unchanged —
 * selecting them groups every visit of the site, which at millions of visits cost more than the panel itself. The
 * table's highest block number is its version: every insert (a loader's batch reaches it through the materialized
 * view) takes a new one, and a merge keeps it (a merge changes no verdict), so an insert is seen on the next request
 * and nothing stale is answered.
 */
export function readPlanner({
  maxIds = 10_000,
  oneThreadVisits = ONE_THREAD_VISITS,
  clock = Date.now,
}: {
  maxIds?: number;
  oneThreadVisits?: number;
  clock?: () => number;
} = {}): ReadPlanner {
  const sites = new Map<string, { version: string; ids: readonly string[] | undefined }>();
  let size = { rows: 0, at: Number.NEGATIVE_INFINITY };
  return {
    async plan(store, siteId) {
      const small = size.rows < oneThreadVisits;
      if (small && clock() - size.at < SIZE_TTL_MS) return { oneThread: true, botIds: undefined };
      const [row] = await store.query<{ version: string; visit_rows: unknown }>(PARTS);
      size = { rows: Number(row?.visit_rows ?? 0), at: clock() };
      if (size.rows < oneThreadVisits) return { oneThread: true, botIds: undefined };
      const version = row?.version ?? '';
      const known = sites.get(siteId);
      if (known?.version === version) return { oneThread: false, botIds: known.ids };
      const rows = await store.query<{ session_id: string }>(`${botSessionsSql('{site:String}')} LIMIT {max:UInt32}`, {
        site: siteId,
        max: maxIds + 1,
      });
      const ids = rows.length > maxIds ? undefined : rows.map((r) => r.session_id);
      sites.set(siteId, { version, ids });
      return { oneThread: false, botIds: ids };
    },
  };
}

/** The store with every query on one thread (`max_threads = 1`), for small tables. */
export function oneThread(store: ChStore): ChStore {
  return { ...store, query: (sql, params) => store.query(`${sql} SETTINGS max_threads = 1`, params) };
}
