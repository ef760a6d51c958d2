/**
 * The dashboard's read contract: `GET /v1/stats/<panel>?from=&to=&…` with the secret read key as
 * `Authorization: Bearer`, answered by every backend as `{ ok: true, site_id, data }`. Every figure is an
 * integer count, so the same events give the same JSON on every backend; rates and averages are divided
 * out by the reader (`summaryRates`). The definitions are in docs/dashboard.md.
 */

/** The panels, one path each: `/v1/stats/summary`, `/v1/stats/timeseries`, … */
export const STATS_PANELS = [
  'summary',
  'timeseries',
  'breakdown',
  'goals',
  'funnel',
  'vitals',
  'live',
  'goal_props',
  'outbound',
  'downloads',
  'scroll',
  'engagement',
  'revenue',
  'completeness',
] as const;
/** The panels a range and filters alone ask (no `by`, `step`, `goal`: those take their own parameters). */
export const RANGE_PANELS = [
  'summary',
  'timeseries',
  'goals',
  'vitals',
  'outbound',
  'downloads',
  'scroll',
  'engagement',
  'revenue',
  'completeness',
] as const satisfies readonly StatsPanel[];
/** A panel name. */
export type StatsPanel = (typeof STATS_PANELS)[number];

/** What a breakdown groups visits by, and what a filter can name. */
export const STATS_DIMENSIONS = [
  'page',
  'entry_page',
  'exit_page',
  'source',
  'referrer',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'country',
  'device',
  'browser',
  'os',
] as const;
/** A dimension name. */
export type StatsDimension = (typeof STATS_DIMENSIONS)[number];

/** Dimensions whose visits without a value are left out of a breakdown (the rest show them as `null`). */
export const OPTIONAL_DIMENSIONS: readonly StatsDimension[] = [
  'page',
  'entry_page',
  'exit_page',
  'utm_source',
  'utm_medium',
  'utm_campaign',
];

/** One step of a funnel: a pageview of a path, or an event of a type. */
export interface FunnelStep {
  kind: 'page' | 'event';
  value: string;
}

/** A parsed stats request. */
export interface StatsQuery {
  /** Visits starting at or after this time (ms since the epoch) … */
  from: number;
  /** … and before this one. */
  to: number;
  /** Time series bucket (UTC). */
  interval: 'hour' | 'day';
  /** Dimension → wanted value; `null` asks for visits without a value. Every filter must hold. */
  filters: Partial<Record<StatsDimension, string | null>>;
  /** The breakdown's dimension. */
  by: StatsDimension;
  /** Rows of a breakdown or of goals. */
  limit: number;
  /** Funnel steps, in order. */
  steps: FunnelStep[];
  /** Whose visits count: humans only (the default), bots only, or both (`botReason()` decides). */
  bots: 'exclude' | 'only' | 'include';
  /** The goal (custom event type) and the property of it that `goal_props` breaks down. */
  goal?: string;
  prop?: string;
}

/** Totals of the visits in range (the `summary` panel). */
export interface StatsTotals {
  visitors: number;
  visits: number;
  pageviews: number;
  /** Visits with at most one pageview and no engagement event. */
  bounces: number;
  /** Sum over visits of (last event − first event), whole seconds each. */
  duration_s: number;
}

/** One bucket of the time series; `t` is the bucket's start (ms). Buckets without visits are left out. */
export interface StatsPoint {
  t: number;
  visitors: number;
  visits: number;
  pageviews: number;
}

/** One row of a breakdown. `value` null: visits without one (unknown country, direct traffic …). */
export interface StatsRow {
  value: string | null;
  visitors: number;
  visits: number;
  pageviews: number;
}

/** One custom event type of the visits in range. */
export interface GoalRow {
  name: string;
  visitors: number;
  events: number;
}

/** How many visits reached each funnel step in order. */
export interface FunnelRow {
  kind: FunnelStep['kind'];
  value: string;
  visits: number;
}

/** The 75th percentile (nearest rank) of a web vital over its last report per metric id. */
export interface VitalRow {
  name: string;
  p75: number;
  samples: number;
}

/** Visitors with an event in the last `window_s` seconds (range and filters do not apply). */
export interface LiveCount {
  visitors: number;
  window_s: number;
}

/** One value of a goal's property: the visitors and events of the goal with it. */
export interface GoalPropRow {
  value: string;
  visitors: number;
  events: number;
}

/** One link (`outbound`, `downloads`): clicks on it and their visitors. */
export interface LinkRow {
  url: string;
  visitors: number;
  events: number;
}

/** How far the visits that viewed a page scrolled it: visits reaching each quarter of it. */
export interface ScrollRow {
  path: string;
  visits: number;
  reached_25: number;
  reached_50: number;
  reached_75: number;
  reached_100: number;
}

/** The engaged time on a page (visible and focused, from its `page_leave` reports) of the visits that viewed it. */
export interface EngagementRow {
  path: string;
  visits: number;
  /** Sum over those visits; the average per visit is divided out by the reader. */
  engaged_ms: number;
}

/** Revenue of one goal in one currency (`props.revenue`). */
export interface RevenueRow {
  name: string;
  currency: string;
  visitors: number;
  events: number;
  /** Sum of the amounts, each counted in millionths (`revenueMicros`); the average is amount ÷ events. */
  amount: number;
}

/** One UTC day of data completeness. */
export interface CompletenessDay {
  t: number;
  /** Events never received: gaps in the sequence numbers of the visits that started that day. */
  lost: number;
  /** Events the SDK reported dropping that day (`sdk_dropped`), by reason. */
  dropped: Record<string, number>;
}

/** What each panel answers in `data`. */
export interface StatsData {
  summary: StatsTotals;
  timeseries: { interval: StatsQuery['interval']; points: StatsPoint[] };
  breakdown: { by: StatsDimension; rows: StatsRow[] };
  goals: { rows: GoalRow[] };
  funnel: { steps: FunnelRow[] };
  vitals: { rows: VitalRow[] };
  live: LiveCount;
  goal_props: { goal: string | null; prop: string | null; rows: GoalPropRow[] };
  outbound: { rows: LinkRow[] };
  downloads: { rows: LinkRow[] };
  scroll: { rows: ScrollRow[] };
  engagement: { rows: EngagementRow[] };
  revenue: { rows: RevenueRow[] };
  completeness: { days: CompletenessDay[] };
}

/** How far back live visitors are counted. */
export const LIVE_WINDOW_MS = 5 * 60_000;
/** The longest range one request may cover. */
export const MAX_STATS_RANGE_MS = 400 * 86_400_000;
const MAX_FILTER_LENGTH = 2048;
const MAX_STEPS = 6;

/**
 * Parses a stats request's query string. Returns the query, or a string naming what is wrong (the backend
 * answers it as 400 `invalid_request`). `from`/`to` default to the last 30 days before `now`.
 */
export function parseStatsQuery(params: URLSearchParams, now: number): StatsQuery | string {
  const from = timeParam(params, 'from', now - 30 * 86_400_000);
  const to = timeParam(params, 'to', now);
  if (typeof from === 'string') return from;
  if (typeof to === 'string') return to;
  if (to <= from) return 'to must be after from';
  if (to - from > MAX_STATS_RANGE_MS) return 'the range may cover at most 400 days';
  const interval = params.get('interval') ?? (to - from <= 2 * 86_400_000 ? 'hour' : 'day');
  if (interval !== 'hour' && interval !== 'day') return 'interval must be hour or day';
  if (interval === 'hour' && to - from > 31 * 86_400_000) return 'interval=hour covers at most 31 days';
  const by = params.get('by') ?? 'page';
  if (!isDimension(by)) return `by must be one of ${STATS_DIMENSIONS.join(', ')}`;
  const rawLimit = params.get('limit') ?? '10';
  if (!/^\d{1,3}$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > 100) return 'limit must be an integer from 1 to 100';
  const filters: StatsQuery['filters'] = {};
  for (const [name, value] of params) {
    if (!name.startsWith('filter.')) continue;
    const dimension = name.slice(7);
    if (!isDimension(dimension)) return `${name} is not a filter; filters are filter.<${STATS_DIMENSIONS.join('|')}>`;
    if (dimension in filters) return `${name} is given twice`;
    const problem = textProblem(name, value);
    if (problem) return problem;
    filters[dimension] = value === '' ? null : value;
  }
  const steps: FunnelStep[] = [];
  for (const raw of params.getAll('step')) {
    const match = /^(page|event):(.+)$/s.exec(raw);
    if (!match) return 'each step must be page:<path> or event:<type>';
    const problem = textProblem('step', match[2] as string);
    if (problem) return problem;
    // Pageviews are page steps; the other page mechanics are not recorded as events by every backend.
    if (match[1] === 'event' && ['pageview', 'page_leave', 'heartbeat', 'sdk_dropped'].includes(match[2] as string)) {
      return `step ${raw.slice(0, 64)}: use page:<path> for pageviews; page_leave, heartbeat and sdk_dropped are not steps`;
    }
    steps.push({ kind: match[1] as FunnelStep['kind'], value: match[2] as string });
  }
  if (steps.length > MAX_STEPS) return `a funnel has at most ${MAX_STEPS} steps`;
  const bots = params.get('bots') ?? 'exclude';
  if (bots !== 'exclude' && bots !== 'only' && bots !== 'include') return 'bots must be exclude, only or include';
  const format = params.get('format') ?? 'json';
  if (format !== 'json' && format !== 'csv') return 'format must be json or csv';
  const query: StatsQuery = { from, to, interval, filters, by, limit: Number(rawLimit), steps, bots };
  for (const name of ['goal', 'prop'] as const) {
    const value = params.get(name);
    if (value === null || value === '') continue;
    const problem = textProblem(name, value);
    if (problem) return problem;
    query[name] = value;
  }
  return query;
}

function timeParam(params: URLSearchParams, name: string, fallback: number): number | string {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  // Milliseconds since the epoch, from 2000 to 2200: anything else is a mistake, not a range.
  if (!/^\d{12,13}$/.test(raw) || Number(raw) < 946_684_800_000 || Number(raw) > 7_258_118_400_000) {
    return `${name} must be a time in ms since the epoch (2000 to 2200)`;
  }
  return Number(raw);
}

function textProblem(name: string, value: string): string | undefined {
  if (value.length > MAX_FILTER_LENGTH) return `${name} must be at most ${MAX_FILTER_LENGTH} characters`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f]/.test(value)) return `${name} must not contain control characters`;
  return undefined;
}

function isDimension(name: string): name is StatsDimension {
  return (STATS_DIMENSIONS as readonly string[]).includes(name);
}

/** Rates and averages of a summary, divided out the same way for every backend. */
export function summaryRates(totals: StatsTotals): { viewsPerVisit: number; bounceRate: number; visitDuration: number } {
  const visits = totals.visits || 1;
  return {
    viewsPerVisit: totals.pageviews / visits,
    bounceRate: totals.bounces / visits,
    visitDuration: totals.duration_s / visits,
  };
}

/** Whether a path segment names a panel. */
export function isStatsPanel(name: string): name is StatsPanel {
  return (STATS_PANELS as readonly string[]).includes(name);
}
