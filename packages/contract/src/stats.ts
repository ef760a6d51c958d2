import {
  liveCountOf,
  parseStatsQuery,
  STATS_DIMENSIONS,
  type StatsData,
  type StatsEvent,
  type StatsPanel,
  type StatsQuery,
  statsPanel,
} from '@trailmark/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, SITE } from './backends.js';
import { sendDataSet, statsDataSet, storedStatsEvents } from './stats-data.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Reads one panel of a backend's stats API. */
export async function readStats(
  backend: Backend,
  panel: StatsPanel,
  params: URLSearchParams,
): Promise<{ status: number; body: { data?: unknown; error?: string } }> {
  const response = await fetch(`${backend.endpoint}/v1/stats/${panel}?${params}`, { headers: { authorization: `Bearer ${SITE.readKey}` } });
  return { status: response.status, body: await response.json() };
}

/** The requests the suite asks every backend: each panel, over two ranges, with and without filters. */
export function statsRequests(now: number): Array<{ panel: Exclude<StatsPanel, 'live'>; params: URLSearchParams }> {
  const to = Math.ceil(now / HOUR) * HOUR;
  const ranges = [
    { from: to - 7 * DAY, to, interval: 'day' },
    { from: to - 7 * DAY, to, interval: 'hour' },
    { from: to - 2 * DAY, to },
    { from: to - 4 * DAY, to: to - 2 * DAY },
  ];
  const filters: Array<Record<string, string>> = [
    {},
    { 'filter.country': 'DE' },
    { 'filter.country': 'IN' },
    { 'filter.country': '' },
    { 'filter.source': 'search' },
    { 'filter.source': 'email' },
    { 'filter.referrer': '' },
    { 'filter.page': '/pricing.html' },
    { 'filter.entry_page': '/' },
    { 'filter.exit_page': '/pricing.html' },
    { 'filter.browser': 'Firefox' },
    { 'filter.os': 'iOS' },
    { 'filter.device': 'Mobile' },
    { 'filter.utm_campaign': 'spring', 'filter.utm_medium': 'email' },
    { 'filter.utm_source': 'newsletter' },
  ];
  const out: Array<{ panel: Exclude<StatsPanel, 'live'>; params: URLSearchParams }> = [];
  for (const range of ranges) {
    for (const filter of filters) {
      const base = { from: String(range.from), to: String(range.to), ...(range.interval ? { interval: range.interval } : {}), ...filter };
      for (const panel of ['summary', 'timeseries', 'goals', 'vitals'] as const) out.push({ panel, params: new URLSearchParams(base) });
      for (const by of STATS_DIMENSIONS) out.push({ panel: 'breakdown', params: new URLSearchParams({ ...base, by, limit: '100' }) });
      const funnel = new URLSearchParams(base);
      for (const step of ['page:/', 'page:/pricing.html', 'event:signup']) funnel.append('step', step);
      out.push({ panel: 'funnel', params: funnel });
    }
  }
  out.push({ panel: 'breakdown', params: new URLSearchParams({ from: String(to - 7 * DAY), to: String(to), by: 'page', limit: '2' }) });
  return out;
}

/**
 * The stats read contract on one backend: the data set goes in through the batch endpoint, and every panel the
 * dashboard asks for answers exactly what the protocol's reference code computes from the same events.
 */
export function defineStatsContract(name: string, start: () => Promise<Backend>): void {
  describe(`stats read contract: ${name}`, () => {
    let backend: Backend;
    let events: StatsEvent[];
    let now: number;
    beforeAll(async () => {
      backend = await start();
      now = Date.now();
      const visits = statsDataSet(now);
      events = storedStatsEvents(visits);
      await sendDataSet(backend.endpoint, backend.batchPath, visits);
      await backend.settle?.();
    });
    afterAll(async () => {
      await backend?.close();
    });

    it('answers every panel, range and filter with the figures the reference computes from the events', async () => {
      for (const { panel, params } of statsRequests(now)) {
        const query = parseStatsQuery(params, now) as StatsQuery;
        const { status, body } = await readStats(backend, panel, params);
        expect({ request: `${panel}?${params}`, status }).toEqual({ request: `${panel}?${params}`, status: 200 });
        expect({ request: `${panel}?${params}`, data: body.data }).toEqual({
          request: `${panel}?${params}`,
          data: statsPanel(panel, events, query),
        });
      }
    });

    it('counts the visitors active in the last five minutes as live', async () => {
      const { body } = await readStats(backend, 'live', new URLSearchParams());
      expect(body.data).toEqual(liveCountOf(events, now));
      expect((body.data as StatsData['live']).visitors).toBe(1);
    });

    it('answers the summary of the whole data set with the figures counted by hand', async () => {
      const to = Math.ceil(now / HOUR) * HOUR;
      const { body } = await readStats(backend, 'summary', new URLSearchParams({ from: String(to - 7 * DAY), to: String(to) }));
      // 11 visits by 9 visitors, 2+1+3+1+1+3+2+1+2+1+1 = 18 pageviews; bounces: v2's docs visit (a heartbeat only),
      // v4 (a page_leave), v6 (a web vital), v8; durations 80+15+149+96+4+110+35+2+356+0+120 = 967 seconds.
      expect(body.data).toEqual({ visitors: 9, visits: 11, pageviews: 18, bounces: 4, duration_s: 967 });
    });

    it('refuses bad requests with a 400 or 404 and a reason, and the write key with a 403', async () => {
      for (const [panel, query, status] of [
        ['summary', 'from=yesterday', 400],
        ['summary', 'from=1733000000000&to=1732000000000', 400],
        ['breakdown', 'by=password', 400],
        ['breakdown', 'filter.secret=1', 400],
        ['funnel', 'step=page', 400],
        ['funnel', 'step=event:pageview', 400],
        ['summary', `filter.page=${'x'.repeat(3000)}`, 400],
        ['nothing', '', 404],
      ] as const) {
        const response = await fetch(`${backend.endpoint}/v1/stats/${panel}?${query}`, {
          headers: { authorization: `Bearer ${SITE.readKey}` },
        });
        const body = (await response.json()) as { error?: unknown };
        expect({ panel, query: query.slice(0, 40), status: response.status }).toEqual({
          panel,
          query: query.slice(0, 40),
          status,
        });
        expect(typeof body.error).toBe('string');
      }
      const write = await fetch(`${backend.endpoint}/v1/stats/summary`, { headers: { authorization: `Bearer ${SITE.writeKey}` } });
      expect(write.status).toBe(403);
      const none = await fetch(`${backend.endpoint}/v1/stats/summary`);
      expect(none.status).toBe(401);
    });
  });
}
