import { isStatsPanel, LIVE_WINDOW_MS, parseStatsQuery, type StatsData, type StatsPanel, type StatsQuery } from '@trailmark/protocol';
import { budgetSettings, type ChStatsBudget, type ReadPlanner, withSettings } from './stats-budget.js';
import { completeness } from './stats-completeness.js';
import { engagement, scroll } from './stats-pages.js';
import { goalProps, links, revenue } from './stats-reports.js';
import { n } from './stats-sql.js';
import { breakdown, funnel, goals, summary, timeseries, vitals } from './stats-traffic.js';
import type { ChStore } from './store.js';

// The dashboard's read contract (`GET /v1/stats/:panel`) in ClickHouse SQL, every panel and every traffic view
// (humans, bots, both) answered natively: the traffic panels from the `visits` table, the reports from the events
// of the selected visits. The figures are the ones `statsPanel()` in @trailmark/protocol computes from raw events.

type Answer = (store: ChStore, siteId: string, query: StatsQuery) => Promise<unknown>;

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

/** How a node reads: its planner (threads by table size) and each request's budget (ClickHouse's limits). */
export interface StatsReader {
  planner?: ReadPlanner;
  budget?: ChStatsBudget;
}

/** A valid stats request: its panel and query. */
export interface StatsRequest {
  panel: StatsPanel;
  query: StatsQuery;
}

/** The panel and query of `GET /v1/stats/:panel`, or a string naming what is wrong with the request. */
export function statsRequestOf(url: URL, now: number): StatsRequest | string {
  const panel = decodeURIComponent(url.pathname.slice(url.pathname.lastIndexOf('/') + 1));
  if (!isStatsPanel(panel)) return `no stats panel ${panel.slice(0, 64)}`;
  const query = parseStatsQuery(url.searchParams, now);
  return typeof query === 'string' ? query : { panel, query };
}

/**
 * A stats request's data. With a `reader`, every query of the request runs under its budget's limits (a query
 * ClickHouse stops there rejects: `overBudget()` tells it apart) and on the threads its plan picks.
 */
export async function answerStats(store: ChStore, siteId: string, request: StatsRequest, now: number, reader: StatsReader = {}) {
  const plan = reader.planner ? await reader.planner.plan(store) : { oneThread: false };
  const bounded = withSettings(store, budgetSettings(reader.budget, plan.oneThread));
  if (request.panel === 'live') return live(bounded, siteId, now);
  return PANELS[request.panel](bounded, siteId, request.query);
}

/** Answers `GET /v1/stats/:panel` for a site: the panel's data, or a string naming what is wrong with the request. */
export function statsPanelSql(store: ChStore, siteId: string, url: URL, now: number, reader: StatsReader = {}): Promise<unknown> | string {
  const request = statsRequestOf(url, now);
  return typeof request === 'string' ? request : answerStats(store, siteId, request, now, reader);
}
