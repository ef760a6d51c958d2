import { describe, expect, it } from 'vitest';
import {
  botReason,
  browserOf,
  countryLookup,
  deviceOf,
  osOf,
  parseBatch,
  parseStatsQuery,
  revenueProblem,
  type StatsEvent,
  type StatsQuery,
  statsCsv,
  statsPanel,
  summaryRates,
} from '../src/index.js';

const NOW = Date.UTC(2026, 11, 3, 12);
const query = (params: Record<string, string | string[]> = {}) => {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) for (const one of [value].flat()) search.append(name, one);
  return parseStatsQuery(search, NOW);
};

describe('parseStatsQuery', () => {
  it('defaults to the 30 days before now, daily, the page breakdown, 10 rows', () => {
    expect(query()).toEqual({
      from: NOW - 30 * 86_400_000,
      to: NOW,
      interval: 'day',
      filters: {},
      by: 'page',
      limit: 10,
      steps: [],
      bots: 'exclude',
    });
    expect((query({ from: String(NOW - 86_400_000) }) as StatsQuery).interval).toBe('hour');
  });

  it('reads filters (empty asks for no value) and funnel steps', () => {
    const parsed = query({ 'filter.country': 'DE', 'filter.referrer': '', step: ['page:/a', 'event:signup'] }) as StatsQuery;
    expect(parsed.filters).toEqual({ country: 'DE', referrer: null });
    expect(parsed.steps).toEqual([
      { kind: 'page', value: '/a' },
      { kind: 'event', value: 'signup' },
    ]);
  });

  it('names what is wrong with a bad request', () => {
    expect(query({ from: 'yesterday' })).toMatch(/^from must be a time/);
    expect(query({ from: String(NOW), to: String(NOW - 1) })).toBe('to must be after from');
    expect(query({ from: String(NOW - 500 * 86_400_000) })).toMatch(/at most 400 days/);
    expect(query({ interval: 'hour', from: String(NOW - 40 * 86_400_000) })).toMatch(/interval=hour covers at most 31 days/);
    expect(query({ interval: 'week' })).toBe('interval must be hour or day');
    expect(query({ by: 'email' })).toMatch(/^by must be one of/);
    expect(query({ limit: '0' })).toMatch(/^limit/);
    expect(query({ 'filter.password': 'x' })).toMatch(/is not a filter/);
    expect(query({ 'filter.page': 'a\u0000b' })).toMatch(/control characters/);
    expect(query({ step: 'click' })).toMatch(/page:<path> or event:<type>/);
    expect(query({ step: 'event:pageview' })).toMatch(/use page:<path> for pageviews/);
    expect(query({ step: Array.from({ length: 7 }, (_, i) => `page:/${i}`) })).toMatch(/at most 6 steps/);
  });
});

describe('dimensions', () => {
  it('classes devices by screen width', () => {
    expect([390, 575, 576, 991, 1439, 1440, 0, undefined].map(deviceOf)).toEqual([
      'Mobile',
      'Mobile',
      'Tablet',
      'Tablet',
      'Laptop',
      'Desktop',
      null,
      null,
    ]);
  });

  it('names browsers and systems from user agents, Edge before the Chrome it also claims', () => {
    const edge =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0';
    const iphone =
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
    expect([browserOf(edge), osOf(edge)]).toEqual(['Edge', 'Windows']);
    expect([browserOf(iphone), osOf(iphone)]).toEqual(['Safari', 'iOS']);
    expect([browserOf(''), osOf(null)]).toEqual([null, null]);
  });

  it('finds the country of a time zone, its old aliases included', () => {
    const country = countryLookup();
    expect(
      ['Europe/Berlin', 'Asia/Calcutta', 'Asia/Kolkata', 'Europe/Kiev', 'America/New_York', 'UTC', 'Mars/Olympus', 7].map(country),
    ).toEqual(['DE', 'IN', 'IN', 'UA', 'US', null, null, null]);
  });
});

/** Events of a visit `session` by `visitor` starting at `start`, `steps` as [seconds after start, type, path?]. */
function visit(
  session: string,
  visitor: string,
  start: number,
  extra: Partial<StatsEvent>,
  steps: Array<[number, string, string?]>,
): StatsEvent[] {
  return steps.map(([after, type, path], i) => ({
    event_id: `${session}-${i}`,
    type,
    ts: start + after * 1000,
    seq: i + 1,
    session_id: session,
    visitor_id: visitor,
    path: path ?? '/',
    url: `https://site.example${path ?? '/'}`,
    ...extra,
  }));
}

describe('statsPanel: the definitions, counted by hand', () => {
  const t0 = Date.UTC(2026, 11, 1, 10);
  const events: StatsEvent[] = [
    // A bounce from Google in Germany: one pageview, a scroll and a heartbeat (not engagement), 40 s.
    ...visit('a', 'ann', t0, { referrer: 'https://www.google.de/', timezone: 'Europe/Berlin', screen_w: 1920 }, [
      [0, 'pageview', '/'],
      [10, 'scroll_depth'],
      [40, 'heartbeat'],
    ]),
    // Ann again, direct, two pages and a signup: 2 pageviews, 95 s (90.5 s rounds up with the half second).
    ...visit('b', 'ann', t0 + 3_600_000, { timezone: 'Europe/Berlin', screen_w: 1920 }, [
      [0, 'pageview', '/pricing'],
      [30, 'pageview', '/signup'],
      [94.5, 'signup'],
    ]),
    // Bob on a phone with no time zone: one pageview and a click (engaged, not a bounce), 5 s; a dropped report is not part of it.
    ...visit(
      'c',
      'bob',
      t0 + 2 * 86_400_000,
      { screen_w: 390, user_agent: 'Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile Safari/537.36' },
      [
        [0, 'pageview', '/pricing'],
        [5, 'click'],
        [9, 'sdk_dropped'],
      ],
    ),
  ];
  const range = (extra: Record<string, string | string[]> = {}) =>
    query({ from: String(t0 - 86_400_000), to: String(t0 + 5 * 86_400_000), ...extra }) as StatsQuery;

  it('summary: visitors, visits, pageviews, bounces and the summed visit durations', () => {
    const totals = statsPanel('summary', events, range());
    expect(totals).toEqual({ visitors: 2, visits: 3, pageviews: 4, bounces: 1, duration_s: 40 + 95 + 5 });
    expect(summaryRates(totals)).toEqual({ viewsPerVisit: 4 / 3, bounceRate: 1 / 3, visitDuration: 140 / 3 });
  });

  it('breakdowns by page, entry and exit page, source, country and device', () => {
    const rows = (by: string, extra = {}) => statsPanel('breakdown', events, range({ by, ...extra })).rows;
    expect(rows('page')).toEqual([
      { value: '/pricing', visitors: 2, visits: 2, pageviews: 2 },
      { value: '/', visitors: 1, visits: 1, pageviews: 1 },
      { value: '/signup', visitors: 1, visits: 1, pageviews: 1 },
    ]);
    // Exit pages: one visit each; the signup visit has two pageviews, the others tie and go by path.
    expect(rows('exit_page').map((row) => row.value)).toEqual(['/signup', '/', '/pricing']);
    expect(rows('source')).toEqual([
      { value: 'direct', visitors: 2, visits: 2, pageviews: 3 },
      { value: 'search', visitors: 1, visits: 1, pageviews: 1 },
    ]);
    expect(rows('referrer').map((row) => row.value)).toEqual([null, 'google']);
    expect(rows('country')).toEqual([
      { value: 'DE', visitors: 1, visits: 2, pageviews: 3 },
      { value: null, visitors: 1, visits: 1, pageviews: 1 },
    ]);
    // One visitor each; Ann's visits (no user agent) have three pageviews to Bob's one.
    expect(rows('browser').map((row) => row.value)).toEqual([null, 'Chrome']);
    expect(rows('utm_campaign')).toEqual([]);
    expect(rows('page', { limit: '1' })).toHaveLength(1);
  });

  it('filters: a page keeps the visits that viewed it, a dimension the visits with that value', () => {
    expect(statsPanel('summary', events, range({ 'filter.page': '/signup' }))).toMatchObject({ visits: 1, pageviews: 2 });
    expect(statsPanel('summary', events, range({ 'filter.device': 'Mobile' }))).toMatchObject({ visitors: 1, visits: 1 });
    expect(statsPanel('summary', events, range({ 'filter.country': '' }))).toMatchObject({ visits: 1 });
    expect(statsPanel('summary', events, range({ 'filter.source': 'search', 'filter.country': 'DE' }))).toMatchObject({
      visits: 1,
      bounces: 1,
    });
  });

  it('time series by the hour or day each visit starts, goals, funnels in order', () => {
    expect(statsPanel('timeseries', events, range()).points).toEqual([
      { t: Date.UTC(2026, 11, 1), visitors: 1, visits: 2, pageviews: 3 },
      { t: Date.UTC(2026, 11, 3), visitors: 1, visits: 1, pageviews: 1 },
    ]);
    expect(statsPanel('goals', events, range()).rows).toEqual([{ name: 'signup', visitors: 1, events: 1 }]);
    expect(
      statsPanel('funnel', events, range({ step: ['page:/pricing', 'page:/signup', 'event:signup'] })).steps.map((s) => s.visits),
    ).toEqual([2, 1, 1]);
    expect(statsPanel('funnel', events, range({ step: ['page:/signup', 'page:/pricing'] })).steps.map((s) => s.visits)).toEqual([1, 0]);
  });

  it('web vitals: the last report per metric id, then the nearest-rank 75th percentile', () => {
    const vitals = [100, 200, 300, 400, 500].map((value, i) => ({
      event_id: `w${i}`,
      type: 'web_vital',
      ts: t0 + 1000 + i,
      session_id: 'a',
      visitor_id: 'ann',
      props: { name: 'LCP', value, id: i === 4 ? 'm0' : `m${i}` },
    }));
    // m0 is reported twice (100, then 500): four samples 200, 300, 400, 500; rank ceil(0.75 × 4) = 3.
    expect(statsPanel('vitals', [...events, ...vitals], range()).rows).toEqual([{ name: 'LCP', p75: 400, samples: 4 }]);
  });
});

describe('stats as CSV', () => {
  it('writes a header and one line per row, quoting what needs it and defusing spreadsheet formulas', () => {
    const csv = statsCsv({
      by: 'page',
      rows: [
        { value: '/a,b', visitors: 2, visits: 3, pageviews: 4 },
        { value: '=HYPERLINK("x")', visitors: 1, visits: 1, pageviews: 1 },
        { value: null, visitors: 1, visits: 1, pageviews: 0 },
      ],
    });
    expect(csv).toBe('value,visitors,visits,pageviews\r\n"/a,b",2,3,4\r\n"\'=HYPERLINK(""x"")",1,1,1\r\n,1,1,0\r\n');
  });

  it('spreads drop reasons into columns and gives each day its date', () => {
    const csv = statsCsv({
      days: [
        { t: 0, lost: 2, dropped: { queue_full: 3 } },
        { t: 86_400_000, lost: 0, dropped: { consent_denied: 1 } },
      ],
    });
    expect(csv.split('\r\n')).toEqual([
      'date,t,lost,dropped.queue_full,dropped.consent_denied',
      '1970-01-01T00:00:00.000Z,0,2,3,0',
      '1970-01-02T00:00:00.000Z,86400000,0,0,1',
      '',
    ]);
  });
});

describe('revenue', () => {
  it('accepts an amount and an ISO 4217 code, and names what is wrong with anything else', () => {
    expect(revenueProblem({ amount: 19.99, currency: 'EUR' })).toBeUndefined();
    expect(revenueProblem({ amount: -5, currency: 'JPY' })).toBeUndefined();
    expect(revenueProblem(12)).toMatch(/object/);
    expect(revenueProblem({ amount: '12', currency: 'EUR' })).toMatch(/amount/);
    expect(revenueProblem({ amount: 1e13, currency: 'EUR' })).toMatch(/amount/);
    expect(revenueProblem({ amount: 1, currency: 'eur' })).toMatch(/currency/);
    expect(revenueProblem({ amount: 1, currency: 'EURO' })).toMatch(/currency/);
    expect(revenueProblem({ amount: 1, currency: 'EUR', tax: 2 })).toMatch(/only/);
  });

  it('refuses an event with a bad revenue by itself and admits the rest of its batch', () => {
    const base = {
      site_id: 's',
      visitor_id: 'v',
      session_id: 'x',
      seq: 1,
      url: 'https://a.example/',
      path: '/',
      ts: NOW,
      type: 'purchase',
    };
    const parsed = parseBatch(
      {
        v: 1,
        events: [
          { ...base, event_id: '0190a5f0-0000-7000-8000-000000000001', props: { revenue: { amount: 10, currency: 'usd' } } },
          { ...base, event_id: '0190a5f0-0000-7000-8000-000000000002', props: { revenue: { amount: 10, currency: 'USD' } } },
        ],
      },
      { now: NOW },
    );
    expect(parsed.ok && parsed.events.map((event) => event.event_id)).toEqual(['0190a5f0-0000-7000-8000-000000000002']);
    expect(parsed.ok && parsed.rejected).toEqual([
      { index: 0, event_id: '0190a5f0-0000-7000-8000-000000000001', reason: expect.stringMatching(/currency/) },
    ]);
  });
});

describe('bot rules', () => {
  const person = { userAgent: false, automation: false, pageviews: 3, firstView: 0, lastView: 60_000, leaves: 3, engaged: true };
  it('counts a visit as a bot by its user agent, the SDK flag, or its behaviour, and a person otherwise', () => {
    expect(botReason(person)).toBeNull();
    expect(botReason({ ...person, userAgent: true })).toBe('user_agent');
    expect(botReason({ ...person, automation: true })).toBe('automation');
    expect(botReason({ ...person, pageviews: 5, engaged: false })).toBe('behaviour');
    // Without page_leave reports nothing says whether anyone was there: not a bot.
    expect(botReason({ ...person, pageviews: 5, engaged: false, leaves: 0 })).toBeNull();
    expect(botReason({ ...person, pageviews: 10, lastView: 8_000 })).toBe('behaviour');
    expect(botReason({ ...person, pageviews: 10, lastView: 9_000 })).toBeNull();
  });
});
