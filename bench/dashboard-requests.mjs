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

/** What the dashboard's first screen asks at once on opening (30-day view, compared with the period before). */
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
  ];
}
