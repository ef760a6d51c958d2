import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  panelAnswer,
  panelSql,
  parseStatsQuery,
  RANGE_PANELS,
  STATS_DIMENSIONS,
  type StatsEvent,
  type StatsQuery,
  statsPanel,
  type TrailmarkEvent,
} from '@trailmark/protocol';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { openStore } from '../src/store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const event = (n: number, fields: Partial<TrailmarkEvent>): TrailmarkEvent => ({
  event_id: `0190b6a0-0000-7000-8000-${String(n).padStart(12, '0')}`,
  type: 'pageview',
  ts: Date.now() - 1000,
  site_id: 's',
  visitor_id: 'v',
  session_id: 'x',
  seq: n,
  url: 'https://a.example/',
  path: '/',
  ...fields,
});

describe('trailmark-receiver redact', () => {
  it('runs the rules over events stored before them (JSON and user agent) and their rollup keys, idempotently', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tm-redact-'));
    dirs.push(dir);
    const store = openStore({ dataDir: dir, rollupDimensions: { plan: 'plan' } });
    // Stored as an older receiver stored them: no redaction, the raw user agent.
    store.insert(
      [event(1, { utm_campaign: 'jane@example.com', props: { plan: 'jane@example.com', pw: 'hunter2' } }), event(2, { title: 'fine' })],
      { skewMs: 0, receivedAt: Date.now(), source: 'batch', userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/131.0.0.0 Safari/537.36' },
    );
    store.close();
    const lines: string[] = [];
    const io = { out: (t: string) => lines.push(t), err: (t: string) => lines.push(t) };
    expect(await main(['redact', '--data-dir', dir], io)).toBe(0);
    expect(JSON.parse(lines[0] as string)).toEqual({
      ok: true,
      events: 2,
      eventsChanged: 2,
      rollupsChanged: 1,
      visitsChanged: 1,
      identitiesChanged: 0,
    });
    const db = new Database(join(dir, 'receiver.db'), { readonly: true });
    const dump = JSON.stringify([db.prepare('SELECT * FROM events').all(), db.prepare('SELECT * FROM rollups').all()]);
    db.close();
    expect(dump).not.toMatch(/jane|hunter2|Mozilla/);
    expect(dump).toContain('Chrome; Windows; desktop');
    lines.length = 0;
    expect(await main(['redact', '--data-dir', dir], io)).toBe(0);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ eventsChanged: 0, rollupsChanged: 0 });
  });

  it('derives again each identity whose user id the rules now redact, from the events as redacted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tm-redact-'));
    dirs.push(dir);
    const store = openStore({ dataDir: dir });
    // An older receiver's identities: a visitor first identified by its e-mail address, later by an opaque id;
    // another by its e-mail address only; a third by an opaque id.
    store.insert(
      [
        event(1, { visitor_id: 'laptop', user_id: 'jane@example.com' }),
        event(2, { visitor_id: 'laptop', user_id: 'u-42' }),
        event(3, { visitor_id: 'phone', user_id: 'ann@example.com' }),
        event(4, { visitor_id: 'tablet', user_id: 'u-7' }),
      ],
      { skewMs: 0, receivedAt: Date.now(), source: 'batch' },
    );
    const identities = () => store.visitRows({ sql: 'SELECT visitor_id, user_id FROM visitor_users ORDER BY visitor_id', params: [] });
    expect(identities()).toEqual([
      { visitor_id: 'laptop', user_id: 'jane@example.com' },
      { visitor_id: 'phone', user_id: 'ann@example.com' },
      { visitor_id: 'tablet', user_id: 'u-7' },
    ]);
    expect(store.redactStored()).toMatchObject({ eventsChanged: 2, identitiesChanged: 2 });
    expect(identities()).toEqual([
      { visitor_id: 'laptop', user_id: 'u-42' },
      { visitor_id: 'tablet', user_id: 'u-7' },
    ]);
    expect(store.redactStored()).toMatchObject({ eventsChanged: 0, identitiesChanged: 0 });
    store.close();
  });

  it('leaves no value in clear in the per-visit rollups: visits rebuilt from their redacted events, those past retention redacted column by column', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tm-redact-'));
    dirs.push(dir);
    const now = Date.now();
    const store = openStore({ dataDir: dir });
    const agent = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
    const options = { skewMs: 0, receivedAt: now, source: 'batch' as const, userAgent: agent };
    // Stored as a receiver before the rules stored them: the visit of the current site in full; the other site's
    // visit is 40 days old, its events gone by retention, its rollups kept.
    store.insert(legacyVisit('demo', now - 3_600_000), options);
    store.insert(legacyVisit('old', now - 40 * 86_400_000), options);
    store.deleteChunk(now - 30 * 86_400_000, 0, 1000);
    const dumpBefore = dump(dir, store);
    expect(dumpBefore).toMatch(/jane|hunter2/);
    expect(store.redactStored()).toMatchObject({ eventsChanged: 5, visitsChanged: 2, rollupsChanged: 2 });
    const after = dump(dir, store);
    expect(after).not.toMatch(/jane|ann%40|hunter2|s3cret|Mozilla/);
    // Ids are kept whole where the rules would read a card number: the visitor id passes Luhn.
    expect(after.match(/4111-1111-1111-1111/g)?.length).toBeGreaterThan(10);
    // Two pages that differed only by an e-mail address are one, on both paths of redaction.
    const pages = store.visitRows({ sql: 'SELECT site_id, path, views FROM visit_pages ORDER BY site_id, path', params: [] });
    expect(pages).toEqual(
      expect.arrayContaining([
        { site_id: 'demo', path: '/u/[redacted:email]', views: 2 },
        { site_id: 'old', path: '/u/[redacted:email]', views: 2 },
      ]),
    );
    // The current site's panels are the reference's over its events as now stored.
    const events = store
      .visitRows({ sql: "SELECT data, ts, user_agent FROM events WHERE site_id = 'demo'", params: [] })
      .map(
        (row) =>
          ({ ...(JSON.parse(row.data as string) as TrailmarkEvent), ts: row.ts as number, user_agent: row.user_agent }) as StatsEvent,
      );
    for (const [panel, query] of panelQueries(now)) {
      expect({ panel, data: panelAnswer(panel, query, store.visitRows(panelSql(panel, 'demo', query))) }).toEqual({
        panel,
        data: statsPanel(panel, events, query),
      });
    }
    expect(store.redactStored()).toMatchObject({ eventsChanged: 0, visitsChanged: 0, rollupsChanged: 0 });
    expect(dump(dir, store)).toBe(after);
    store.close();
  });
});

/**
 * One visit as a page before the rules sent it: e-mail addresses in its URL, path, title, campaign, referrer's
 * userinfo, an outbound link and a goal's props (one under a password's name), a drop report keyed by one; its
 * visitor id an id of digits and dashes that passes Luhn.
 */
function legacyVisit(site: string, ts: number): TrailmarkEvent[] {
  const base = { site_id: site, visitor_id: '4111-1111-1111-1111', session_id: `${site}-visit` };
  let n = site === 'demo' ? 100 : 200;
  const at = (fields: Partial<TrailmarkEvent>, offset: number): TrailmarkEvent => event(n++, { ...base, ts: ts + offset, ...fields });
  return [
    at(
      {
        url: 'https://a.example/u/jane@example.com?utm_campaign=jane@example.com',
        path: '/u/jane@example.com',
        title: 'Profile of jane@example.com',
        referrer: 'https://jane:s3cret@mail.example/inbox',
        utm_source: 'newsletter',
        utm_campaign: 'jane@example.com',
      },
      0,
    ),
    at({ url: 'https://a.example/u/ann%40example.com', path: '/u/ann%40example.com' }, 10_000),
    at(
      { type: 'click', path: '/u/ann%40example.com', props: { tag: 'a', href: 'https://b.example/?to=jane@example.com', outbound: true } },
      20_000,
    ),
    at({ type: 'signup', path: '/u/ann%40example.com', props: { plan: 'jane@example.com', pw: 'hunter2' } }, 30_000),
    at({ type: 'sdk_dropped', path: '/', props: { 'jane@example.com': 2 } }, 40_000),
  ];
}

/** Each panel over the range, the breakdown by every dimension and the goal's breakdown by property. */
function panelQueries(now: number): Array<[Exclude<(typeof RANGE_PANELS)[number], 'live'> | 'breakdown' | 'goal_props', StatsQuery]> {
  const range = { from: String(now - 2 * 86_400_000), to: String(now + 3_600_000) };
  const query = (record: Record<string, string>) => parseStatsQuery(new URLSearchParams(record), now) as StatsQuery;
  return [
    ...RANGE_PANELS.map((panel) => [panel, query(range)] as [(typeof RANGE_PANELS)[number], StatsQuery]),
    ...STATS_DIMENSIONS.map((by) => ['breakdown', query({ ...range, by, limit: '100' })] as ['breakdown', StatsQuery]),
    ['goal_props', query({ ...range, goal: 'signup', prop: 'plan' })],
  ];
}

/** Every row of every table of the store's file, as text. */
function dump(dir: string, store: ReturnType<typeof openStore>): string {
  store.visitRows({ sql: 'SELECT 1', params: [] });
  const db = new Database(join(dir, 'receiver.db'), { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>;
    return tables.map(({ name }) => `${name}\n${JSON.stringify(db.prepare(`SELECT * FROM "${name}"`).all())}`).join('\n');
  } finally {
    db.close();
  }
}
