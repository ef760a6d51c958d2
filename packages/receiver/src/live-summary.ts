import { channelOf, classifySource, type TrailmarkEvent } from '@trailmark/protocol';
import { HOUR_MS, hourOf } from './rollup-keys.js';
import type { EventStore } from './store.js';

/** What the live page draws, for one site over the last `hours`. */
export interface LiveSummary {
  site_id: string;
  hours: number;
  total_events: number;
  counts: Record<string, number>;
  pageviews_per_hour: Array<{ hour: string; count: number }>;
  top_pages: Array<{ path: string; count: number }>;
  top_referrers: Array<{ referrer: string; count: number }>;
  /**
   * Sessions by where they came from (the protocol's `classifySource` and `channelOf` over the first pageview's
   * referrer and UTM tags): `source` names the platform (`google`, `newsletter`) or `direct`, `kind` is the channel
   * (`search`, `paid_search`, `social`, `email`, `referral`, `direct`…). `?utm_source=newsletter` is `email`.
   */
  top_sources: Array<{ source: string; kind: string; count: number }>;
  /** Sessions by `utm_campaign` of their first pageview. */
  top_campaigns: Array<{ campaign: string; count: number }>;
  /** Metric name → 75th percentile of its values (the Core Web Vitals threshold statistic) and sample count. */
  web_vitals: Record<string, { p75: number; count: number }>;
  /** The newest events (newest first, at most 25), so the page's feed is not empty until the next one arrives. */
  recent_events: TrailmarkEvent[];
}

const SAMPLE = 20_000;

/** Builds the summary from rollups (counts, hourly pageviews) and recent raw events (pages, referrers, vitals). */
export function liveSummary(store: EventStore, siteId: string, now: number, hours: number): LiveSummary {
  const lastHour = hourOf(now);
  const fromHour = lastHour - (hours - 1) * HOUR_MS;
  const rows = store.rollups(siteId, fromHour, lastHour);
  const counts: Record<string, number> = {};
  const pageviews = new Map<number, number>();
  let total = 0;
  for (const row of rows) {
    total += row.totalEvents;
    for (const [type, n] of Object.entries(row.eventCounts)) counts[type] = (counts[type] ?? 0) + n;
    pageviews.set(row.hour, row.eventCounts.pageview ?? 0);
  }
  const perHour: Array<{ hour: string; count: number }> = [];
  for (let hour = fromHour; hour <= lastHour; hour += HOUR_MS) {
    perHour.push({ hour: new Date(hour).toISOString(), count: pageviews.get(hour) ?? 0 });
  }
  const pages = new Map<string, number>();
  const referrers = new Map<string, number>();
  const landings = new Map<string, TrailmarkEvent>();
  for (const { event } of store.recent(siteId, fromHour, ['pageview'], SAMPLE)) {
    if (event.path) pages.set(event.path, (pages.get(event.path) ?? 0) + 1);
    const host = externalHost(event.referrer, event.url);
    if (host) referrers.set(host, (referrers.get(host) ?? 0) + 1);
    const first = landings.get(event.session_id);
    if (!first || event.ts < first.ts) landings.set(event.session_id, event);
  }
  const sources = new Map<string, number>();
  const campaigns = new Map<string, number>();
  for (const event of landings.values()) {
    const source = classifySource(event.referrer, event.url, event);
    // The kind is the visit's channel, as the dashboard groups it (email, search, paid_search, social, referral…).
    const key = `${source.platform ?? 'direct'}\n${channelOf({ ...source, utm_source: event.utm_source, utm_medium: event.utm_medium })}`;
    sources.set(key, (sources.get(key) ?? 0) + 1);
    if (event.utm_campaign) campaigns.set(event.utm_campaign, (campaigns.get(event.utm_campaign) ?? 0) + 1);
  }
  const vitals = new Map<string, number[]>();
  for (const { event } of store.recent(siteId, fromHour, ['web_vital'], SAMPLE)) {
    const name = event.props?.name ?? event.props?.metric;
    const value = event.props?.value;
    if (typeof name !== 'string' || typeof value !== 'number' || !Number.isFinite(value)) continue;
    const list = vitals.get(name) ?? [];
    list.push(value);
    vitals.set(name, list);
  }
  return {
    site_id: siteId,
    hours,
    total_events: total,
    counts,
    pageviews_per_hour: perHour,
    top_pages: top(pages, 10).map(([path, count]) => ({ path, count })),
    top_referrers: top(referrers, 10).map(([referrer, count]) => ({ referrer, count })),
    top_sources: top(sources, 10).map(([key, count]) => {
      const [source = '', kind = ''] = key.split('\n');
      return { source, kind, count };
    }),
    top_campaigns: top(campaigns, 10).map(([campaign, count]) => ({ campaign, count })),
    recent_events: Object.keys(counts)[0] ? store.recent(siteId, fromHour, Object.keys(counts), 25).map(({ event }) => event) : [],
    web_vitals: Object.fromEntries([...vitals].map(([name, values]) => [name, { p75: percentile(values, 0.75), count: values.length }])),
  };
}

/** The p-th percentile by the nearest-rank method (what web-vitals reporting uses). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0;
}

function top(counts: Map<string, number>, n: number): Array<[string, number]> {
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, n);
}

// After SPA navigation the referrer is the previous in-app URL: that is not a traffic source.
function externalHost(referrer: string | undefined, pageUrl: string): string | undefined {
  if (!referrer) return undefined;
  try {
    const host = new URL(referrer).host;
    let own = '';
    try {
      own = new URL(pageUrl).host;
    } catch {
      own = '';
    }
    return host && host !== own ? host : undefined;
  } catch {
    return undefined;
  }
}
