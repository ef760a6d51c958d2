import { describe, expect, it } from 'vitest';
import {
  breakdownOf,
  funnelOf,
  goalsOf,
  parseStatsQuery,
  type StatsEvent,
  type StatsQuery,
  selectVisits,
  timeseriesOf,
  totalsOf,
  type Visit,
  visitsOf,
  vitalsOf,
} from '../src/index.js';

// A public-key writer chooses how many visits a panel reads, and can put them all in one hour with the same vitals:
// the shape that made `[...bucket, visit]` quadratic (issue 27: 80 ms at 10,000 visits, 8 s at 20,000). Each panel is
// timed at n and 4n visits; linear work grows ×4 (×4.5 with a sort), quadratic ×16. The ratio of the fastest of a
// few runs' CPU time is what is held, so a loaded machine slows both sides alike.
const NOW = Date.UTC(2026, 11, 3, 12);
const HOUR = NOW - 3_600_000;

function visits(count: number): StatsEvent[] {
  const events: StatsEvent[] = [];
  for (let i = 0; i < count; i++) {
    const session = `s${i}`;
    const base = {
      session_id: session,
      visitor_id: `v${i % 5000}`,
      url: 'https://app.example/a',
      timezone: 'Europe/Berlin',
      screen_w: 1200,
    };
    const ts = HOUR + (i % 3_000_000);
    events.push(
      { ...base, event_id: `${session}-1`, type: 'pageview', ts, path: '/a', referrer: 'https://www.google.com/' },
      { ...base, event_id: `${session}-2`, type: 'pageview', ts: ts + 1, path: `/p${i % 50}` },
      { ...base, event_id: `${session}-3`, type: 'web_vital', ts: ts + 2, props: { name: 'LCP', value: i % 4000, id: `m${i}` } },
      { ...base, event_id: `${session}-4`, type: 'signup', ts: ts + 3 },
    );
  }
  return events;
}

const query = (params: Record<string, string | string[]>): StatsQuery => {
  const search = new URLSearchParams({ from: String(NOW - 86_400_000), to: String(NOW), interval: 'hour' });
  for (const [name, value] of Object.entries(params)) for (const one of [value].flat()) search.append(name, one);
  const parsed = parseStatsQuery(search, NOW);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
};

// Grouping events into visits (`visitsOf`) is most of a panel's cost and the same for every panel: it is timed once,
// then each panel over the visits.
const PANELS: Array<[string, (visits: Visit[]) => unknown]> = [
  ['select (a page filter)', (visits) => selectVisits(visits, query({ 'filter.page': '/a' }))],
  ['summary', (visits) => totalsOf(visits)],
  ['timeseries', (visits) => timeseriesOf(visits, query({}))],
  ['breakdown by page', (visits) => breakdownOf(visits, query({ by: 'page' }))],
  ['breakdown by source', (visits) => breakdownOf(visits, query({ by: 'source' }))],
  ['goals', (visits) => goalsOf(visits, query({}))],
  ['funnel', (visits) => funnelOf(visits, query({ step: ['page:/a', 'event:signup'] }))],
  ['vitals', (visits) => vitalsOf(visits)],
];

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * The CPU time per run (this process's, in ms; not the clock, which on a shared machine counts the waits for a core)
 * of `run` over n visits and over 4n: the least of two samples each. The n side runs over each quarter of the 4n
 * visits in turn, so both sides touch the same memory (10,000 visits fit in a CPU cache, 40,000 do not: that alone
 * made a linear panel look ×10), and a sample is as many rounds as take 30 ms (the CPU clock ticks in milliseconds).
 */
function costs<T>(quarters: T[], all: T, run: (input: T) => unknown): [number, number] {
  let rounds = 0;
  for (const started = cpuMs(); cpuMs() - started < 30; rounds++) for (const quarter of quarters) run(quarter);
  const sample = (inputs: T[]) => {
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 2; i++) {
      const started = cpuMs();
      for (let round = 0; round < rounds; round++) for (const input of inputs) run(input);
      best = Math.min(best, (cpuMs() - started) / rounds / inputs.length);
    }
    return best;
  };
  return [sample(quarters), sample([all])];
}

const quartersOf = <T>(list: T[]): T[][] => [0, 1, 2, 3].map((i) => list.slice((i * list.length) / 4, ((i + 1) * list.length) / 4));

describe('the stats panels cost what they read', () => {
  it('grow at most linearly: ×8 allowed for ×4 visits (quadratic is ×16), grouping and every panel', () => {
    const events = visits(40_000);
    const times: Record<string, string> = {};
    const hold = (name: string, a: number, b: number) => {
      const ratio = b / a;
      times[name] = `${a.toFixed(1)} → ${b.toFixed(1)} (×${ratio.toFixed(1)})`;
      if (ratio >= 8) over.push(`${name}: 40,000 visits cost ×${ratio.toFixed(1)} of 10,000`);
    };
    const over: string[] = [];
    hold('visitsOf', ...costs(quartersOf(events), events, visitsOf));
    const all = visitsOf(events);
    for (const [name, panel] of PANELS) hold(name, ...costs(quartersOf(all), all, panel));
    console.log(`[stats cost] CPU ms, 10k → 40k visits: ${JSON.stringify(times)}`);
    expect(over).toEqual([]);
  }, 60_000);
});
