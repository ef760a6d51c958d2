import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_TYPES, identitiesOf, type TrailmarkEvent } from '@trailmark/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type ChStore,
  chdbAvailable,
  EVENT_COLUMNS,
  eventRows,
  eventRowsTsv,
  MIGRATIONS_DIR,
  migrate,
  openChdbStore,
  visitRows,
} from '../src/index.js';

// Migration 07 puts the reports' per-visit figures on the visit row. A store loaded before it is brought up to date
// by the migration's backfill: every visit row then holds what the loader of this release computes (`visitRows()`).

const NEW_COLUMNS = ['pages.depth', 'pages.engaged_ms', 'links.kind', 'links.url', 'links.clicks', 'goals.name', 'goals.props', 'lost'];
const t0 = Date.UTC(2026, 10, 2, 9);
let n = 0;
function event(session: string, seq: number, type: string, path: string | undefined, props?: TrailmarkEvent['props']): TrailmarkEvent {
  n++;
  return {
    event_id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    type,
    ts: t0 + n * 1000,
    site_id: 'mig',
    visitor_id: `visitor-${session}`,
    session_id: session,
    seq,
    ...(path === undefined ? {} : { path, url: `https://shop.example${path}` }),
    ...(props ? { props } : {}),
  } as TrailmarkEvent;
}
const EVENTS: TrailmarkEvent[] = [
  event('a', 1, 'pageview', '/'),
  event('a', 2, 'scroll_depth', '/', { milestone: 50 }),
  event('a', 3, 'scroll_depth', '/', { milestone: null, max_depth: 80 }),
  event('a', 4, 'page_leave', '/', { duration_ms: 9000, engaged_ms: 4400.6 }),
  event('a', 5, 'pageview', '/pricing'),
  event('a', 6, 'click', '/pricing', { tag: 'a', href: 'https://docs.other.example/', outbound: true }),
  event('a', 7, 'click', '/pricing', { tag: 'a', href: 'https://docs.other.example/', outbound: true }),
  event('a', 8, 'click', '/pricing', { tag: 'a', href: 'https://shop.example/a.pdf', download: true, outbound: true }),
  event('a', 9, 'signup', '/pricing', { plan: 'pro', revenue: { amount: 49.5, currency: 'EUR' } }),
  event('a', 10, 'scroll_depth', '/elsewhere', { milestone: 100 }),
  event('b', 1, 'pageview', '/'),
  event('b', 4, 'page_leave', '/', { engaged_ms: 1200 }),
  event('b', 5, 'sdk_dropped', undefined, { queue_full: 2 }),
  event('b', 6, 'checkout', '/', {}),
  event('c', 1, 'pageview', '/'),
];

async function load(store: ChStore, events: TrailmarkEvent[], rows: (site: string) => object[]) {
  const message = { v: 1 as const, site: 'mig', skewMs: 0, browser: 'Firefox', os: 'Linux', device: 'desktop', events };
  await store.insertRows('events', EVENT_COLUMNS, 'TabSeparated', [Buffer.from(eventRowsTsv(eventRows(message)))]);
  await store.insert('visits', rows('mig'));
}

/** The new columns of visit rows, in one shape whatever wrote them (64-bit integers as numbers, links sorted). */
const figures = (rows: Array<Record<string, unknown>>) =>
  rows.map((row) => {
    const list = (name: string) =>
      (row[name] as unknown[]).map((value) =>
        typeof value === 'string' && name !== 'links.kind' && name !== 'links.url' && name !== 'goals.name' && name !== 'goals.props'
          ? Number(value)
          : value,
      );
    const kinds = list('links.kind');
    const urls = list('links.url');
    const clicks = list('links.clicks');
    const props = list('goals.props') as string[];
    return {
      session_id: row.session_id,
      depth: list('pages.depth'),
      engaged: list('pages.engaged_ms').map(Number),
      links: kinds.map((kind, i) => `${kind} ${urls[i]} ${clicks[i]}`).sort(),
      goals: list('goals.name').map((name, i) => [name, JSON.parse(props[i] ?? 'null')]),
      lost: Number(row.lost),
    };
  });

describe.skipIf(!chdbAvailable())('migrations 07-09 (the reports on the visit row, fixed-width persons)', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  /** A folder of the migrations of the release before 07. */
  const migrationsBefore07 = () => {
    const dir = mkdtempSync(join(tmpdir(), 'trailmark-mig-'));
    dirs.push(dir);
    for (const name of readdirSync(MIGRATIONS_DIR).filter((file) => file < '07')) cpSync(join(MIGRATIONS_DIR, name), join(dir, name));
    return dir;
  };

  it('backfills the visit rows written before it with the figures the loader now writes', async () => {
    const before = migrationsBefore07();
    const message = { v: 1 as const, site: 'mig', skewMs: 0, browser: 'Firefox', os: 'Linux', device: 'desktop', events: EVENTS };
    const expected = visitRows('mig', eventRows(message));
    const store = openChdbStore();
    try {
      await migrate(store, before);
      // Rows as a loader of the release before wrote them: without migration 07's columns.
      await load(store, EVENTS, () =>
        expected.map((row) => Object.fromEntries(Object.entries(row).filter(([name]) => !NEW_COLUMNS.includes(name)))),
      );
      expect(await migrate(store)).toEqual([
        '07_visit_reports.sql',
        '08_visitor_keys.sql',
        '09_visitor_persons.sql',
        '10_bot_verdicts.sql',
        '11_fewer_event_columns.sql',
        '12_no_visitor_users.sql',
      ]);
      const rows = await store.query<Record<string, unknown>>(
        `SELECT session_id, ${NEW_COLUMNS.map((name) => `\`${name}\``).join(', ')} FROM visits FINAL ORDER BY session_id`,
      );
      expect(figures(rows)).toEqual(figures(expected as unknown as Array<Record<string, unknown>>));
      // What the test holds the backfill to is worth something: a page's depth, its engaged time, links, goals, gaps.
      expect(expected.find((row) => row.session_id === 'a')).toMatchObject({
        'pages.path': ['/', '/pricing'],
        'pages.depth': [80, 0],
        'pages.engaged_ms': [4401, 0],
        'links.kind': ['outbound', 'outbound', 'download'],
        'links.clicks': [2, 1, 1],
        'goals.name': ['signup'],
        lost: 0,
      });
      expect(expected.find((row) => row.session_id === 'b')).toMatchObject({
        'pages.engaged_ms': [1200],
        'goals.name': ['checkout'],
        lost: 2,
      });
    } finally {
      await store.close();
    }
  });

  it("keeps in visitor_persons (migration 09) the person of each visitor's earliest identification, before it and after", async () => {
    const before = migrationsBefore07();
    const at = (e: TrailmarkEvent, ts: number, seq: number, id: string, user?: string): TrailmarkEvent => ({
      ...e,
      ts,
      seq,
      event_id: id,
      ...(user === undefined ? {} : { user_id: user }),
    });
    const base = event('p', 1, 'identify', '/');
    const id = (n: number, head = '00000000') => `${head}-0000-4000-8000-${String(n).padStart(12, '0')}`;
    // Visitor p: identified as u1 then u2 later; q: the same time and sequence number, the lower event id wins
    // (`ffff…` as text is after `1000…`); r: a redacted user id identifies no one; s: identified only after migrating.
    const stored = [
      at({ ...base, visitor_id: 'p', session_id: 'p1' }, t0 + 5000, 2, id(1), 'u2'),
      at({ ...base, visitor_id: 'p', session_id: 'p1' }, t0 + 1000, 1, id(2), 'u1'),
      at({ ...base, visitor_id: 'q', session_id: 'q1' }, t0, 1, id(3, 'ffffffff'), 'u4'),
      at({ ...base, visitor_id: 'q', session_id: 'q1' }, t0, 1, id(4, '10000000'), 'u3'),
      at({ ...base, visitor_id: 'r', session_id: 'r1' }, t0, 1, id(5), '[redacted:email]'),
    ];
    const store = openChdbStore();
    // Each identified visitor's person against the reference, `identitiesOf()` of every event loaded so far (the
    // oracle was migration 06's `visitor_users` until migration 12 dropped it, read by nothing).
    const persons = (loaded: TrailmarkEvent[]) => {
      const identities = identitiesOf(loaded);
      return store.query<{ v: string; same: number }>(
        `SELECT e.v AS v, toUInt8(p.person = reinterpretAsUInt128(sipHash128('u', e.u))) AS same FROM
           (SELECT visitor_key, person FROM visitor_persons FINAL) AS p
           INNER JOIN (SELECT tupleElement(pair, 1) AS v, tupleElement(pair, 2) AS u, reinterpretAsUInt128(sipHash128('v', v)) AS visitor_key
             FROM (SELECT arrayJoin(arrayZip({vs:Array(String)}, {us:Array(String)})) AS pair)) AS e
           ON e.visitor_key = p.visitor_key ORDER BY e.v`,
        { vs: [...identities.keys()], us: [...identities.values()] },
      );
    };
    try {
      await migrate(store, before);
      await load(store, stored, () => []);
      await migrate(store);
      expect((await persons(stored)).map((row) => Number(row.same))).toEqual([1, 1]);
      const [p] = await store.query<{ u: number }>(
        "SELECT toUInt8(person = reinterpretAsUInt128(sipHash128('u', 'u1'))) AS u FROM visitor_persons FINAL WHERE visitor_key = reinterpretAsUInt128(sipHash128('v', 'p'))",
      );
      expect(Number(p?.u)).toBe(1);
      // After migrating: an earlier identification of p arrives late, and s is identified.
      const late = [
        at({ ...base, visitor_id: 'p', session_id: 'p0' }, t0 - 1000, 1, id(6), 'u0'),
        at({ ...base, visitor_id: 's', session_id: 's1' }, t0, 1, id(7), 'u5'),
      ];
      await load(store, late, () => []);
      expect((await persons([...stored, ...late])).map((row) => Number(row.same))).toEqual([1, 1, 1]);
      const [count] = await store.query<{ n: string }>('SELECT count() AS n FROM visitor_persons FINAL');
      expect(Number(count?.n)).toBe(3);
    } finally {
      await store.close();
    }
  });

  it('judges the visits loaded before migration 03, which have no bot verdict, as the loader judges them (migration 10)', async () => {
    const before = mkdtempSync(join(tmpdir(), 'trailmark-mig-'));
    dirs.push(before);
    for (const name of ['01_events.sql', '02_visits.sql']) cpSync(join(MIGRATIONS_DIR, name), join(before, name));
    const visit = (session: string, steps: Array<[string, number, TrailmarkEvent['props']?]>, extra: Partial<TrailmarkEvent> = {}) =>
      steps.map(
        ([type, ms, props], i) =>
          ({
            ...event(session, i + 1, type, type === 'page_leave' || type === 'pageview' ? `/p${i}` : undefined, props),
            ts: t0 + ms,
            ...extra,
          }) as TrailmarkEvent,
      );
    const views = (n: number, every: number): Array<[string, number]> => Array.from({ length: n }, (_, i) => ['pageview', i * every]);
    const events = [
      ...visit(
        'automated',
        [
          ['pageview', 0],
          ['click', 500],
        ],
        { bot: 'webdriver' },
      ),
      ...visit('unengaged', [...views(5, 5000), ['page_leave', 26_000, { engaged_ms: 0 }]]),
      ...visit('fast', views(10, 400)),
      ...visit('person', [...views(5, 5000), ['page_leave', 26_000, { engaged_ms: 1200 }]]),
      ...visit('slow', views(10, 2000)),
    ];
    const message = { v: 1 as const, site: 'mig', skewMs: 0, browser: 'Firefox', os: 'Linux', events };
    const expected = visitRows('mig', eventRows(message));
    expect(expected.map((row) => [row.session_id, row.bot])).toEqual([
      ['automated', 'automation'],
      ['unengaged', 'behaviour'],
      ['fast', 'behaviour'],
      ['person', null],
      ['slow', null],
    ]);
    const store = openChdbStore();
    try {
      await migrate(store, before);
      // As the loader before migration 03 stored them: no device class with the events, no verdict with the visits.
      const columns = ['site_id', 'session_id', 'event_id', 'visitor_id', 'type', 'ts', 'browser', 'os', 'raw'];
      const tsv = eventRowsTsv(eventRows(message)).replace(/\t\\N\t\{/g, '\t{');
      await store.insertRows('events', columns, 'TabSeparated', [Buffer.from(tsv)]);
      const old = expected.map((row) =>
        Object.fromEntries(
          Object.entries(row).filter(
            ([name]) => name === 'pages.path' || name === 'pages.views' || !/^(links|goals|pages)\.|^lost$|^bot$/.test(name),
          ),
        ),
      );
      await store.insert('visits', old);
      await migrate(store);
      const rows = await store.query<{ s: string; bot: string | null }>('SELECT session_id AS s, bot FROM visits FINAL ORDER BY s');
      expect(rows.map((row) => [row.s, row.bot])).toEqual(
        expected.map((row) => [row.session_id, row.bot]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
    } finally {
      await store.close();
    }
  });

  it('names the built-in event types of @trailmark/protocol as the ones that are no goal', () => {
    const sql = readFileSync(join(MIGRATIONS_DIR, '07_visit_reports.sql'), 'utf8');
    const list = /WHERE type NOT IN \(([^)]*)\)/.exec(sql)?.[1] ?? '';
    expect([...list.matchAll(/'([a-z_]+)'/g)].map((m) => m[1])).toEqual([...BUILTIN_TYPES]);
  });
});
