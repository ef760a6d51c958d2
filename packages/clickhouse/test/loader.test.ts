import { parseStatsQuery, type StatsEvent, type StatsQuery, statsPanel, type TrailmarkEvent } from '@trailmark/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateVisits, requestsOf } from '../scripts/generate-visits.mjs';
import {
  appliedMigrations,
  type ChStore,
  chdbAvailable,
  chStatsBudget,
  decodeMessage,
  encodeMessage,
  eventRows,
  eventRowsTsv,
  loadBatch,
  messageId,
  migrate,
  openChdbStore,
  readPlanner,
  statsPanelSql,
  VISIT_COLUMNS,
  visitRows,
} from '../src/index.js';

/** A visit row's columns, its 64-bit integers as numbers (ClickHouse's JSON writes those as strings). */
const INT64_COLUMNS = new Set(['start_ms', 'pages.engaged_ms', 'marks.t', 'lost']);
const plain = (row: object): Record<string, unknown> =>
  Object.fromEntries(
    VISIT_COLUMNS.map((name) => {
      const value = (row as Record<string, unknown>)[name];
      const number = (v: unknown) => (INT64_COLUMNS.has(name) ? Number(v) : v);
      return [name, Array.isArray(value) ? value.map(number) : number(value)];
    }),
  );

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
    expect(await appliedMigrations(store)).toEqual([
      '01_events.sql',
      '02_visits.sql',
      '03_agent_device_and_bot.sql',
      '05_read_signals.sql',
      '06_persons_and_read_budget.sql',
      '07_visit_reports.sql',
      '08_visitor_keys.sql',
      '09_visitor_persons.sql',
      '10_bot_verdicts.sql',
      '11_fewer_event_columns.sql',
      '12_no_visitor_users.sql',
    ]);
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
      ['engagement', ''],
      ['revenue', ''],
      ['completeness', ''],
      ['summary', '&bots=only'],
    ] as const) {
      const url = new URL(`http://x/v1/stats/${panel}?from=${to - 6 * 86_400_000}&to=${to}${extra}`);
      const expected = statsPanel(panel, events, parseStatsQuery(url.searchParams, now) as StatsQuery);
      expect({ panel, data: await statsPanelSql(store, 'unit', url, now) }).toEqual({ panel, data: expected });
      // The plan of a large table (every thread) under the default budget answers the same.
      const reader = { planner: readPlanner({ oneThreadVisits: 0 }), budget: chStatsBudget('chdb') };
      expect({ panel, data: await statsPanelSql(store, 'unit', url, now, reader) }).toEqual({ panel, data: expected });
    }
  });

  it('builds a visit whose events arrive in several requests, loaded in one batch, in batches in any order, or at once', async () => {
    const site = 'split';
    const visit = generateVisits({ count: 200, now, days: 1, site, seed: 9 }).find((v) => v.events.length === 8);
    const events = visit?.events ?? [];
    expect(events.length).toBe(8);
    const message = (part: typeof events, seq: number) => ({
      seq,
      data: encodeMessage({ v: 1, site, skewMs: 0, browser: 'Safari', os: 'iOS', device: 'mobile', events: part }),
    });
    const parts = [message(events.slice(0, 3), 1), message(events.slice(3, 5), 2), message(events.slice(5), 3)];
    const row = async () =>
      (
        await store.query<{ version: number; pageviews: number; n: number }>(
          `SELECT version, pageviews, length(marks.key) AS n FROM visits FINAL WHERE site_id = '${site}'`,
        )
      ).map((r) => ({ version: Number(r.version), pageviews: Number(r.pageviews), n: Number(r.n) }));
    const whole = { version: 8, pageviews: 3, n: 7 };
    // The last part first, then the others in one batch, then the first again (a redelivery).
    await loadBatch(store, [parts[2]!]);
    expect((await row())[0]?.version).toBe(3);
    await loadBatch(store, [parts[0]!, parts[1]!]);
    expect(await row()).toEqual([whole]);
    await loadBatch(store, [parts[0]!]);
    expect(await row()).toEqual([whole]);
    // Two loaders loading parts of another visit at the same moment: the one that inserted last counts them all.
    const again = events.map((event) => ({ ...event, session_id: `${event.session_id}-b`, event_id: crypto.randomUUID() }));
    const other = [message(again.slice(0, 4), 4), message(again.slice(4), 5)];
    await Promise.all([loadBatch(store, [other[0]!]), loadBatch(store, [other[1]!])]);
    const rows = await store.query<{ version: number }>(
      `SELECT version FROM visits FINAL WHERE site_id = '${site}' AND session_id = {s:String}`,
      { s: again[0]?.session_id },
    );
    expect(rows.map((r) => Number(r.version))).toEqual([8]);
  });

  it('rebuilds from its stored events each visit of a message an older ingest node wrote, whose rows lack the reports', async () => {
    const site = 'older';
    const visit = generateVisits({ count: 400, now, days: 1, site, seed: 5 }).find((v) =>
      v.events.some((event) => event.type === 'click' && (event.props as { href?: unknown } | undefined)?.href),
    );
    const events = visit?.events ?? [];
    const sent = { v: 1 as const, site, skewMs: 0, browser: 'Chrome', os: 'Linux', device: 'desktop', events };
    const encoded = Buffer.from(encodeMessage(sent));
    // The same message as the release before migration 07 wrote it: no `rows` in its index, rows without the reports
    // (then a JSON array of row objects: no `vf`).
    const first = encoded.indexOf(10);
    const index = JSON.parse(encoded.subarray(0, first).toString()) as { rows?: number; vf?: string; eventBytes: number };
    const rows = visitRows(site, eventRows(sent)) as unknown as Array<Record<string, unknown>>;
    const expected = rows.map((row) => row['links.url']);
    expect(expected.flat().length).toBeGreaterThan(0);
    delete index.rows;
    delete index.vf;
    const older = rows.map((row) =>
      Object.fromEntries(Object.entries(row).filter(([name]) => !/^(links|goals)\.|^lost$|^pages\.(depth|engaged_ms)$/.test(name))),
    );
    const message = Buffer.concat([
      Buffer.from(`${JSON.stringify(index)}\n`),
      encoded.subarray(first + 1, first + 1 + index.eventBytes),
      Buffer.from(JSON.stringify(older)),
    ]);
    await loadBatch(store, [{ seq: 1, data: message }]);
    const stored = await store.query<{ urls: string[] }>(`SELECT links.url AS urls FROM visits FINAL WHERE site_id = '${site}'`);
    expect(stored.map((row) => row.urls)).toEqual(expected);
  });

  it("loads a message whose visit rows are JSON (an ingest node of before the TabSeparated rows) beside today's, as they are", async () => {
    const site = 'jsonrows';
    const [a, b] = generateVisits({ count: 12, now, days: 1, site, seed: 29 }).map((visit) => visit.events);
    const sent = (events: TrailmarkEvent[]) => ({
      v: 1 as const,
      site,
      skewMs: 0,
      browser: 'Firefox',
      os: 'Linux',
      device: 'desktop',
      events,
    });
    const encoded = Buffer.from(encodeMessage(sent(a ?? [])));
    // The same message as the release before wrote it: its index without `vf`, its rows a JSON array of objects.
    const first = encoded.indexOf(10);
    const index = JSON.parse(encoded.subarray(0, first).toString()) as { vf?: string; eventBytes: number };
    delete index.vf;
    const older = Buffer.concat([
      Buffer.from(`${JSON.stringify(index)}\n`),
      encoded.subarray(first + 1, first + 1 + index.eventBytes),
      Buffer.from(JSON.stringify(visitRows(site, eventRows(sent(a ?? []))))),
    ]);
    expect(decodeMessage(older)).toMatchObject({ visitsFormat: 'json', current: true });
    await loadBatch(store, [
      { seq: 1, data: older },
      { seq: 2, data: encodeMessage(sent(b ?? [])) },
    ]);
    const expected = visitRows(site, eventRows(sent([...(a ?? []), ...(b ?? [])])));
    const stored = await store.query<Record<string, unknown>>(
      `SELECT ${VISIT_COLUMNS.map((name) => `\`${name}\``).join(', ')} FROM visits FINAL WHERE site_id = '${site}' ORDER BY session_id`,
    );
    expect(stored.map(plain)).toEqual(expected.sort((x, y) => (x.session_id < y.session_id ? -1 : 1)).map(plain));
  });

  it("loads a message whose events rows are TabSeparated (an ingest node of before RowBinary) beside today's, each once", async () => {
    const site = 'tsvevents';
    const [a, b] = generateVisits({ count: 12, now, days: 1, site, seed: 31 }).map((visit) => visit.events);
    const sent = (events: TrailmarkEvent[]) => ({
      v: 1 as const,
      site,
      skewMs: 3,
      browser: 'Firefox',
      os: null,
      device: 'desktop',
      events,
    });
    const encoded = Buffer.from(encodeMessage(sent(a ?? [])));
    const first = encoded.indexOf(10);
    const index = JSON.parse(encoded.subarray(0, first).toString()) as { ef?: string; eventBytes: number };
    const tsv = Buffer.from(eventRowsTsv(eventRows(sent(a ?? []))));
    delete index.ef;
    const older = Buffer.concat([
      Buffer.from(`${JSON.stringify({ ...index, eventBytes: tsv.byteLength })}\n`),
      tsv,
      encoded.subarray(first + 1 + index.eventBytes),
    ]);
    const batch = [
      { seq: 1, data: older },
      { seq: 2, data: encodeMessage(sent(b ?? [])) },
    ];
    await loadBatch(store, batch);
    // Redelivered: both inserts dropped by their tokens.
    await loadBatch(store, batch);
    const rows = await store.query<{ event_id: string; ts: number; os: string | null; raw: string }>(
      `SELECT toString(event_id) AS event_id, ts, os, raw FROM events WHERE site_id = '${site}' ORDER BY event_id`,
    );
    const all = [...(a ?? []), ...(b ?? [])].sort((x, y) => (x.event_id < y.event_id ? -1 : 1));
    expect(rows.map((row) => ({ ...row, ts: Number(row.ts), raw: JSON.parse(row.raw) }))).toEqual(
      all.map((event) => ({ event_id: event.event_id, ts: event.ts + 3, os: null, raw: event })),
    );
  });

  it('stores every string as it was sent, tabs, newlines, backslashes and a typed \\N included', async () => {
    const site = 'strings';
    const awkward = 'a\tb\nc\rd\\e \\N "q" ü 😀';
    const [visit] = generateVisits({ count: 4, now, days: 1, site, seed: 23 });
    const sent = (visit?.events ?? []).map((event) => ({
      ...event,
      session_id: `s\t${awkward}`,
      // Long enough that its length is written in more bytes than it needs (`rowBinaryWriter`).
      visitor_id: `v\n${awkward}${'x'.repeat(30)}`,
      title: awkward,
      // In the visit row's arrays too (pages, funnel marks), quoted there: a quote of its own.
      path: `/'${awkward}`,
    }));
    await loadBatch(store, [
      { seq: 1, data: encodeMessage({ v: 1, site, skewMs: 0, browser: 'Chrome', os: null, device: 'desktop', events: sent }) },
    ]);
    const rows = await store.query<{ session_id: string; visitor_id: string; os: string | null; raw: string }>(
      `SELECT session_id, visitor_id, os, raw FROM events FINAL WHERE site_id = '${site}' ORDER BY ts`,
    );
    expect(rows.map((row) => ({ ...row, raw: JSON.parse(row.raw) }))).toEqual(
      sent.map((event) => ({ session_id: event.session_id, visitor_id: event.visitor_id, os: null, raw: event })),
    );
    const visits = await store.query<Record<string, unknown>>(
      `SELECT ${VISIT_COLUMNS.map((name) => `\`${name}\``).join(', ')} FROM visits FINAL WHERE site_id = '${site}'`,
    );
    const expected = visitRows(site, eventRows({ v: 1, site, skewMs: 0, browser: 'Chrome', os: null, device: 'desktop', events: sent }));
    expect(expected[0]?.['pages.path']).toContain(`/'${awkward}`);
    expect(visits.map(plain)).toEqual(expected.map(plain));
  });

  it("stores the user agent's device class with each event, and a bot's visit as a bot's, out of the figures", async () => {
    const site = 'agents';
    const [person, robot] = generateVisits({ count: 4, now, days: 1, site, seed: 21 }).map((visit) => visit.events);
    await loadBatch(store, [
      { seq: 1, data: encodeMessage({ v: 1, site, skewMs: 0, browser: 'Chrome', os: 'Android', device: 'tablet', events: person ?? [] }) },
      { seq: 2, data: encodeMessage({ v: 1, site, skewMs: 0, browser: null, os: null, device: 'bot', events: robot ?? [] }) },
    ]);
    const devices = await store.query<{ d: string }>(`SELECT DISTINCT agent_device AS d FROM events WHERE site_id = '${site}' ORDER BY d`);
    expect(devices.map((row) => row.d)).toEqual(['bot', 'tablet']);
    const visits = await store.query<{ bot: string | null; device: string | null }>(
      `SELECT bot, device FROM visits FINAL WHERE site_id = '${site}' ORDER BY bot NULLS FIRST`,
    );
    // `device` is the screen width's class, as on every backend; the user agent's says the second is a bot.
    expect(visits).toEqual([
      { bot: null, device: expect.any(String) },
      { bot: 'user_agent', device: expect.any(String) },
    ]);
    const url = new URL(`http://x/v1/stats/summary?from=${now - 2 * 86_400_000}&to=${now + 3_600_000}`);
    expect(await statsPanelSql(store, site, url, now)).toMatchObject({ visits: 1 });
  });
});
