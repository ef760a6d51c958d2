import {
  liveCountOf,
  parseStatsQuery,
  RANGE_PANELS,
  STATS_DIMENSIONS,
  type StatsData,
  type StatsEvent,
  type StatsPanel,
  type StatsQuery,
  statsCsv,
  statsPanel,
} from '@trailmark/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, OTHER, SITE } from './backends.js';
import { identityDataSet, identityDeliveries, resend, storedIdentityEvents } from './identity-data.js';
import { botDataSet, sendDataSet, statsDataSet, storedStatsEvents } from './stats-data.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Reads one panel of a backend's stats API. */
export async function readStats(
  backend: Backend,
  panel: StatsPanel,
  params: URLSearchParams,
  readKey = SITE.readKey,
): Promise<{ status: number; body: { data?: unknown; error?: string } }> {
  const response = await fetch(`${backend.endpoint}/v1/stats/${panel}?${params}`, { headers: { authorization: `Bearer ${readKey}` } });
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
      for (const panel of RANGE_PANELS) {
        out.push({ panel, params: new URLSearchParams(base) });
      }
      out.push({ panel: 'goal_props', params: new URLSearchParams({ ...base, goal: 'signup', prop: 'plan' }) });
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

    it('answers the new reports of the whole data set with the figures counted by hand', async () => {
      const to = String(Math.ceil(now / HOUR) * HOUR);
      const from = String(Number(to) - 7 * DAY);
      const data = async (panel: StatsPanel, extra: Record<string, string> = {}) =>
        (await readStats(backend, panel, new URLSearchParams({ from, to, ...extra }))).body.data;
      // signup: v1 twice (pro with 49 EUR, team with 19.5 USD), v7 twice (pro with 49 EUR, and 7).
      expect(await data('goal_props', { goal: 'signup', prop: 'plan' })).toEqual({
        goal: 'signup',
        prop: 'plan',
        rows: [
          { value: 'pro', visitors: 2, events: 2 },
          { value: '7', visitors: 1, events: 1 },
          { value: 'team', visitors: 1, events: 1 },
        ],
      });
      expect(await data('revenue')).toEqual({
        rows: [
          { name: 'signup', currency: 'EUR', visitors: 2, events: 2, amount: 98 },
          { name: 'signup', currency: 'USD', visitors: 1, events: 1, amount: 19.5 },
        ],
      });
      expect(await data('outbound')).toEqual({ rows: [{ url: 'https://docs.other.example/guide', visitors: 1, events: 1 }] });
      expect(await data('downloads')).toEqual({ rows: [{ url: 'https://app.example/files/price-list.pdf', visitors: 1, events: 1 }] });
      const scroll = (await data('scroll')) as StatsData['scroll'];
      // `/`: 8 visits viewed it; v1 reached 75 %, v3 100 %. `/pricing.html`: v3 reached 25 %.
      expect(scroll.rows.find((row) => row.path === '/')).toEqual({
        path: '/',
        visits: 8,
        reached_25: 2,
        reached_50: 2,
        reached_75: 2,
        reached_100: 1,
      });
      expect(scroll.rows.find((row) => row.path === '/pricing.html')).toMatchObject({ reached_25: 1, reached_50: 0 });
      const engagement = (await data('engagement')) as StatsData['engagement'];
      expect(engagement.rows.find((row) => row.path === '/pricing.html')).toEqual({ path: '/pricing.html', visits: 6, engaged_ms: 43500 });
      const completeness = (await data('completeness')) as StatsData['completeness'];
      expect(completeness.days.reduce((sum, day) => sum + day.lost, 0)).toBe(2);
      expect(completeness.days.flatMap((day) => Object.entries(day.dropped))).toEqual([['queue_full', 3]]);
    });

    it('counts a visitor who logs in midway, with its earlier anonymous visit and a second device, as one person', async () => {
      const visits = identityDataSet(now);
      await sendDataSet(backend.endpoint, backend.batchPath, identityDeliveries(visits), OTHER.origin, OTHER.writeKey);
      const login = visits[1] as (typeof visits)[number];
      expect(await resend(backend.endpoint, backend.batchPath, login)).toBe(login.events.length);
      await backend.settle?.();
      const stored = storedIdentityEvents(visits);
      const to = Math.ceil(now / HOUR) * HOUR;
      const read = async (panel: StatsPanel, extra: Record<string, string>) =>
        (await readStats(backend, panel, new URLSearchParams(extra), OTHER.readKey)).body.data;
      // The laptop's login visit and the phone: one person (u-1001), two visits.
      expect(await read('summary', { from: String(to - 12 * HOUR), to: String(to) })).toMatchObject({ visitors: 1, visits: 2 });
      // Three days: that person (the laptop's anonymous visit, its login, the phone), the two whose e-mail user ids
      // were redacted (two people still), and e1, u-3003 and g1. Bounces: the two e-mail visits, e1's error and
      // u-3003's identification; g1 started a form, which is engagement.
      expect(await read('summary', { from: String(to - 3 * DAY), to: String(to) })).toMatchObject({ visitors: 6, visits: 8, bounces: 4 });
      // The signup counts its person once; `identify` and `js_error` are built in, never goals.
      expect(await read('goals', { from: String(to - 3 * DAY), to: String(to) })).toEqual({
        rows: [{ name: 'signup', visitors: 1, events: 1 }],
      });
      for (const interval of ['day', 'hour']) {
        const base = { from: String(to - 3 * DAY), to: String(to), interval };
        for (const panel of RANGE_PANELS) {
          const params = new URLSearchParams(base);
          const data = await read(panel, base);
          expect({ request: `${panel}?${params}`, data }).toEqual({
            request: `${panel}?${params}`,
            data: statsPanel(panel, stored, parseStatsQuery(params, now) as StatsQuery),
          });
        }
        for (const by of STATS_DIMENSIONS) {
          const params = new URLSearchParams({ ...base, by });
          expect({ by, data: await read('breakdown', { ...base, by }) }).toEqual({
            by,
            data: statsPanel('breakdown', stored, parseStatsQuery(params, now) as StatsQuery),
          });
        }
      }
    });

    it('answers any panel as CSV with format=csv, the same rows as its JSON', async () => {
      const to = String(Math.ceil(now / HOUR) * HOUR);
      for (const [panel, extra] of [
        ['breakdown', { by: 'page' }],
        ['summary', {}],
        ['timeseries', {}],
        ['completeness', {}],
        ['revenue', {}],
      ] as const) {
        const params = new URLSearchParams({ from: String(Number(to) - 7 * DAY), to, ...extra, format: 'csv' });
        const response = await fetch(`${backend.endpoint}/v1/stats/${panel}?${params}`, {
          headers: { authorization: `Bearer ${SITE.readKey}` },
        });
        expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
        expect(response.headers.get('content-disposition')).toBe(`attachment; filename="trailmark-${panel}.csv"`);
        expect({ panel, csv: await response.text() }).toEqual({
          panel,
          csv: statsCsv(statsPanel(panel, events, parseStatsQuery(params, now) as StatsQuery)),
        });
      }
    });

    it('refuses bad requests with a 400 or 404 and a reason, and the write key with a 403', async () => {
      for (const [panel, query, status] of [
        ['summary', 'from=yesterday', 400],
        ['summary', 'from=1733000000000&to=1732000000000', 400],
        ['breakdown', 'by=password', 400],
        ['breakdown', 'filter.secret=1', 400],
        ['funnel', 'step=page', 400],
        ['funnel', 'step=event:pageview', 400],
        ['summary', 'bots=maybe', 400],
        ['summary', 'format=xml', 400],
        ['goal_props', `goal=${'g'.repeat(3000)}&prop=plan`, 400],
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

    it('leaves bots out of every figure by default and shows them on request', async () => {
      const bots = botDataSet(now);
      await sendDataSet(backend.endpoint, backend.batchPath, bots);
      await backend.settle?.();
      const all = [...events, ...storedStatsEvents(bots)];
      const to = String(Math.ceil(now / HOUR) * HOUR);
      const base = { from: String(Number(to) - 7 * DAY), to };
      const { body } = await readStats(backend, 'summary', new URLSearchParams(base));
      expect(body.data).toEqual({ visitors: 9, visits: 11, pageviews: 18, bounces: 4, duration_s: 967 });
      for (const bots of ['only', 'include']) {
        for (const [panel, extra] of [
          ['summary', {}],
          ['timeseries', {}],
          ['goals', {}],
          ['breakdown', { by: 'page' }],
          ['breakdown', { by: 'browser' }],
          ['breakdown', { by: 'country' }],
        ] as const) {
          const params = new URLSearchParams({ ...base, bots, ...extra });
          const answer = await readStats(backend, panel, params);
          expect({ request: `${panel}?${params}`, data: answer.body.data }).toEqual({
            request: `${panel}?${params}`,
            data: statsPanel(panel, all, parseStatsQuery(params, now) as StatsQuery),
          });
        }
      }
      const only = await readStats(backend, 'summary', new URLSearchParams({ ...base, bots: 'only' }));
      expect((only.body.data as StatsData['summary']).visits).toBe(3);
    });
  });
}
