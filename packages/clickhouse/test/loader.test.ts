import { parseStatsQuery, type StatsEvent, type StatsQuery, statsPanel } from '@trailmark/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateVisits, requestsOf } from '../scripts/generate-visits.mjs';
import {
  appliedMigrations,
  type ChStore,
  chdbAvailable,
  encodeMessage,
  loadBatch,
  messageId,
  migrate,
  openChdbStore,
  readPlanner,
  statsPanelSql,
} from '../src/index.js';

describe('messageId', () => {
  it('gives the same id for the same events in any order or letter case, and another for other events', () => {
    const a = '0a1b2c3d-0000-4000-8000-000000000001';
    const b = '0a1b2c3d-0000-4000-8000-000000000002';
    expect(messageId('s', [a, b])).toBe(messageId('s', [b.toUpperCase(), a]));
    expect(messageId('s', [a])).not.toBe(messageId('s', [a, b]));
    expect(messageId('s', [a])).not.toBe(messageId('t', [a]));
  });
});

describe.skipIf(!chdbAvailable())('loader over embedded chDB', () => {
  let store: ChStore;
  const now = Date.now();
  const visits = generateVisits({ count: 3000, now, days: 5, site: 'unit', seed: 3 });
  const requests = requestsOf(visits, 100);
  const messages = requests.map((request, index) => ({
    seq: index + 1,
    data: encodeMessage({ v: 1, site: 'unit', skewMs: 0, browser: 'Firefox', os: 'Linux', events: request.events }),
  }));
  const events: StatsEvent[] = requests.flatMap((request) =>
    request.events.map((event) => ({ ...event, user_agent: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' })),
  );
  beforeAll(async () => {
    store = openChdbStore();
    await migrate(store);
  });
  afterAll(async () => {
    await store?.close();
  });

  it('applies the migrations once, and again finds nothing to do', async () => {
    expect(await appliedMigrations(store)).toEqual(['01_events.sql', '02_visits.sql', '05_read_signals.sql']);
    expect(await migrate(store)).toEqual([]);
  });

  it('stores a batch delivered twice (as another batch after a killed loader) once, and its visits once', async () => {
    const half = Math.floor(messages.length / 2);
    await loadBatch(store, messages.slice(0, half));
    // A redelivery: the second half, together with part of the first again, in another batch (another token).
    await loadBatch(store, messages.slice(half - 3));
    // And the very same batch again (a retried insert: dropped whole by its deduplication token).
    await loadBatch(store, messages.slice(half - 3));
    const [row] = await store.query<{ rows: string; ids: string; visits: string }>(
      `SELECT (SELECT count() FROM events FINAL WHERE site_id = 'unit') AS rows, (SELECT uniqExact(event_id) FROM events WHERE site_id = 'unit') AS ids,
              (SELECT count() FROM visits FINAL WHERE site_id = 'unit') AS visits`,
    );
    expect({ rows: Number(row?.rows), ids: Number(row?.ids), visits: Number(row?.visits) }).toEqual({
      rows: events.length,
      ids: events.length,
      visits: visits.length,
    });
  });

  it('answers the panels with the figures the reference computes from the events', async () => {
    const to = Math.ceil(now / 3_600_000) * 3_600_000;
    for (const [panel, extra] of [
      ['summary', ''],
      ['timeseries', '&interval=hour'],
      ['breakdown', '&by=page&limit=100'],
      ['breakdown', '&by=country&limit=100'],
      ['goals', ''],
      ['vitals', ''],
      ['funnel', '&step=page:/p/0&step=event:signup'],
      ['goal_props', '&goal=signup&prop=plan'],
      ['outbound', ''],
      ['downloads', ''],
      ['scroll', ''],
      ['revenue', ''],
      ['completeness', ''],
      ['summary', '&bots=only'],
    ] as const) {
      const url = new URL(`http://x/v1/stats/${panel}?from=${to - 6 * 86_400_000}&to=${to}${extra}`);
      const expected = statsPanel(panel, events, parseStatsQuery(url.searchParams, now) as StatsQuery);
      expect({ panel, data: await statsPanelSql(store, 'unit', url, now) }).toEqual({ panel, data: expected });
      // The plan of a large table (bot visits read once and kept, every thread) answers the same.
      const large = readPlanner({ oneThreadVisits: 0 });
      expect({ panel, data: await statsPanelSql(store, 'unit', url, now, large) }).toEqual({ panel, data: expected });
    }
  });
});
