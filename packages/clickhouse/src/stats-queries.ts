import { isStatsPanel, LIVE_WINDOW_MS, parseStatsQuery, type StatsData, type StatsPanel } from '@trailmark/protocol';
import { oneThread, type ReadPlanner } from './stats-bots.js';
import { completeness } from './stats-completeness.js';
import { engagement, scroll } from './stats-pages.js';
import { goalProps, links, revenue } from './stats-reports.js';
import { type ChQuery, n } from './stats-sql.js';
import { breakdown, funnel, goals, summary, timeseries, vitals } from './stats-traffic.js';
import type { ChStore } from './store.js';

// The dashboard's read contract (`GET /v1/stats/:panel`) in ClickHouse SQL, every panel and every traffic view
// (humans, bots, both) answered natively: the traffic panels from the `visits` table, the reports from the events
// of the selected visits. The figures are the ones `statsPanel()` in @trailmark/protocol computes from raw events.

type Answer = (store: ChStore, siteId: string, query: ChQuery) => Promise<unknown>;

const PANELS: Record<Exclude<StatsPanel, 'live'>, Answer> = {
  summary,
  timeseries,
  breakdown,
  goals,
  funnel,
  vitals,
  goal_props: goalProps,
  outbound: (store, siteId, query) => links(store, siteId, query, 'outbound'),
  downloads: (store, siteId, query) => links(store, siteId, query, 'download'),
  scroll,
  engagement,
  revenue,
  completeness,
};

/** Visitors with an event (other than `sdk_dropped`) in the last five minutes (what the loaders loaded). */
async function live(store: ChStore, siteId: string, now: number): Promise<StatsData['live']> {
  const [row] = await store.query(
    `SELECT uniqExact(visitor_id) AS nv FROM events
     WHERE site_id = {site:String} AND ts >= {since:Int64} AND type != 'sdk_dropped'`,
    { site: siteId, since: now - LIVE_WINDOW_MS },
  );
  return { visitors: n(row?.nv), window_s: LIVE_WINDOW_MS / 1000 };
}

/**
 * Answers `GET /v1/stats/:panel` for a site: the panel's data, or a string naming what is wrong with the request.
 * `planner` picks how each request reads (threads, bot visits kept between requests; a node has one); without it
 * every query selects the bot visits itself.
 */
export function statsPanelSql(store: ChStore, siteId: string, url: URL, now: number, planner?: ReadPlanner): Promise<unknown> | string {
  const panel = decodeURIComponent(url.pathname.slice(url.pathname.lastIndexOf('/') + 1));
  if (!isStatsPanel(panel)) return `no stats panel ${panel.slice(0, 64)}`;
  const query = parseStatsQuery(url.searchParams, now);
  if (typeof query === 'string') return query;
  if (panel === 'live') return live(store, siteId, now);
  const answer = PANELS[panel];
  if (!planner) return answer(store, siteId, query);
  return planner
    .plan(store, siteId)
    .then((plan) => answer(plan.oneThread ? oneThread(store) : store, siteId, { ...query, botIds: plan.botIds }));
}
