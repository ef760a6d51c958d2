// The requests of the dashboard bench, shared by every backend's rows.
import { STATS_DIMENSIONS } from '../packages/protocol/dist/index.js';

const DAY = 86_400_000;

const range30 = (now) => {
  const to = Math.floor(now / DAY) * DAY + DAY;
  return { from: String(to - 30 * DAY), to: String(to), interval: 'day' };
};

/** The requests a 30-day view of the dashboard makes (and a filtered one). */
export function requests(now) {
  const base = range30(now);
  const to = Number(base.to);
  const out = [
    ['summary', base],
    ['summary (previous period)', { ...base, from: String(to - 60 * DAY), to: String(to - 30 * DAY) }],
    ['timeseries', base],
  ];
  for (const by of STATS_DIMENSIONS) {
    out.push([`breakdown by=${by}`, { ...base, by, limit: '10' }]);
  }
  out.push(['goals', { ...base, limit: '20' }], ['vitals', base], ['live', {}]);
  out.push(['funnel', { ...base, step: ['page:/p/0', 'page:/p/3', 'event:signup'] }]);
  // The reports beside the traffic figures (issue 22).
  out.push(['goal_props goal=signup prop=plan', { ...base, goal: 'signup', prop: 'plan' }]);
  for (const panel of ['outbound', 'downloads', 'scroll', 'engagement', 'revenue', 'completeness']) out.push([panel, base]);
  out.push(['summary bots=only', { ...base, bots: 'only' }]);
  out.push(['summary filter.country=DE', { ...base, 'filter.country': 'DE' }]);
  out.push(['breakdown by=page filter.browser=Firefox', { ...base, by: 'page', 'filter.browser': 'Firefox' }]);
  out.push(['timeseries filter.page=/p/7', { ...base, 'filter.page': '/p/7' }]);
  return out;
}

/** A record as query parameters (an array value repeats its name). */
export function params(record) {
  const out = new URLSearchParams();
  for (const [name, value] of Object.entries(record)) for (const one of [value].flat()) out.append(name, one);
  return out;
}

/** What the dashboard asks at once on opening (30-day view, compared with the period before), its report cards included. */
export function firstScreen(now) {
  const base = range30(now);
  const before = { ...base, from: String(Number(base.from) - 30 * DAY), to: base.from };
  return [
    ['summary', base],
    ['summary', before],
    ['timeseries', base],
    ['timeseries', before],
    ['goals', { ...base, limit: '20' }],
    ...['page', 'source', 'country', 'device'].map((by) => ['breakdown', { ...base, by, limit: '10' }]),
    ['vitals', base],
    ['live', {}],
    // The report cards below the traffic figures, loaded with them (packages/dashboard/src/main.ts, REPORT_CARDS).
    ...['goal_props', 'revenue', 'outbound', 'downloads', 'scroll', 'engagement', 'completeness'].map((panel) => [
      panel,
      { ...base, limit: '20' },
    ]),
  ];
}

/**
 * Times every request of a 30-day view (`runs` each: first, median and slowest) and the first screen loaded at once
 * (three times). `get(panel, record)` sends one request and resolves with its status once the body is read.
 */
export async function timeDashboard(get, now, runs = 5) {
  const panels = [];
  for (const [name, record] of requests(now)) {
    const panel = name.split(' ')[0];
    const times = [];
    let status = 0;
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      status = await get(panel, record);
      times.push(performance.now() - started);
    }
    const sorted = [...times].sort((a, b) => a - b);
    panels.push({
      panel: name,
      status,
      first_ms: Math.round(times[0]),
      median_ms: Math.round(sorted[Math.floor(runs / 2)]),
      max_ms: Math.round(sorted[runs - 1]),
    });
  }
  const screens = [];
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    await Promise.all(firstScreen(now).map(([panel, record]) => get(panel, record)));
    screens.push(Math.round(performance.now() - started));
  }
  return { panels, first_screen_ms: screens };
}
