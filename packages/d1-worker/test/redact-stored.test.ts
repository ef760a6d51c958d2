import {
  dropStatements,
  panelAnswer,
  panelSql,
  parseStatsQuery,
  RANGE_PANELS,
  STATS_DIMENSIONS,
  type StatsQuery,
  statsEventOf,
  statsPanel,
  type TrailmarkEvent,
} from '@trailmark/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuildVisits } from '../src/visit-rollups.js';
import { event, SITE, secret, startTestWorker, type TestWorker } from './helpers.js';

let worker: TestWorker;
beforeAll(async () => {
  worker = await startTestWorker();
});
afterAll(async () => {
  await worker?.mf.dispose();
});

/** Rows as an older Worker stored them: the payload not redacted, the raw user agent. */
async function storeRaw(
  raw: Array<Record<string, unknown>>,
  agent = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Safari/604.1',
): Promise<void> {
  for (const e of raw) {
    await worker.db
      .prepare(
        `INSERT INTO events (event_id, ingest_id, api_key, site_id, visitor_id, session_id, type, ts, received_at, payload, user_agent)
         VALUES (?1, 'old', ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9)`,
      )
      .bind(e.event_id, SITE.writeKey, SITE.site, e.visitor_id, e.session_id, e.type, e.ts, JSON.stringify(e), agent)
      .run();
  }
}

/** What `scripts/redact-stored.mjs` does: every chunk, events, identities then visits, until `done`; the answers in order. */
async function redactAll(): Promise<Array<{ table: string; read: number; changed: number }>> {
  const answers = [];
  for (let query = 'table=events&after='; ; ) {
    const { status, body } = await worker.call(`/admin/redact?${query}`, { method: 'POST', headers: secret() });
    expect(status).toBe(200);
    answers.push({ table: body.table, read: body.read, changed: body.changed });
    if (body.done) return answers;
    query = `table=${body.next.table}&after=${encodeURIComponent(body.next.after)}`;
  }
}

describe('POST /admin/redact', () => {
  it("runs today's rules over the site's events and visitors stored before them, chunk by chunk, idempotently", async () => {
    await storeRaw([
      event({ visitor_id: 'v-old', utm_campaign: 'jane@example.com', props: { pw: 'hunter2' } }),
      event({ visitor_id: 'v-old', title: 'Welcome jane%40example.com' }),
    ]);
    await worker.db
      .prepare("INSERT INTO visitors (api_key, visitor_id, website, page_views) VALUES (?1, 'v-old', 'jane@example.com', 1)")
      .bind(SITE.writeKey)
      .run();
    expect((await worker.call('/admin/redact', { method: 'POST', headers: { authorization: `Bearer ${SITE.writeKey}` } })).status).toBe(
      403,
    );
    expect((await worker.call('/admin/redact?table=rollups', { method: 'POST', headers: secret() })).status).toBe(400);
    expect(await redactAll()).toEqual([
      { table: 'events', read: 2, changed: 3 },
      { table: 'visitor_users', read: 0, changed: 0 },
      { table: 'visits', read: 0, changed: 0 },
    ]);
    const rows = await worker.db.prepare("SELECT payload, user_agent FROM events WHERE visitor_id = 'v-old'").all();
    const visitors = await worker.db.prepare("SELECT website FROM visitors WHERE visitor_id = 'v-old'").all();
    const dump = JSON.stringify([rows.results, visitors.results]);
    expect(dump).not.toMatch(/jane|hunter2|Mozilla/);
    expect(dump).toContain('Safari; iOS; mobile');
    expect((await redactAll()).map((answer) => answer.changed)).toEqual([0, 0, 0]);
  });

  it('derives again each identity whose user id the rules now redact, from the events as redacted', async () => {
    // An older Worker's identities: a visitor identified first by its e-mail address, later by an opaque id;
    // another by its e-mail address only; a third by an opaque id.
    const at = Date.now() - 60_000;
    const identified = [
      event({ visitor_id: 'laptop', session_id: 'l', seq: 1, ts: at, user_id: 'jane@example.com' }),
      event({ visitor_id: 'laptop', session_id: 'l', seq: 2, ts: at, user_id: 'u-42' }),
      event({ visitor_id: 'phone', session_id: 'p', seq: 1, ts: at, user_id: 'ann@example.com' }),
      event({ visitor_id: 'tablet', session_id: 't', seq: 1, ts: at, user_id: 'u-7' }),
    ];
    await storeRaw(identified);
    for (const e of identified.filter((e) => e.seq === 1)) {
      await worker.db
        .prepare('INSERT INTO visitor_users (site_id, visitor_id, user_id, ts, seq, event_id) VALUES (?1, ?2, ?3, ?4, 1, ?5)')
        .bind(SITE.site, e.visitor_id, e.user_id, e.ts, e.event_id)
        .run();
    }
    const answers = await redactAll();
    expect(answers.filter((answer) => answer.table === 'visitor_users').reduce((sum, answer) => sum + answer.changed, 0)).toBe(2);
    const identities = await worker.db
      .prepare('SELECT visitor_id, user_id, event_id FROM visitor_users WHERE site_id = ?1 ORDER BY visitor_id')
      .bind(SITE.site)
      .all();
    expect(identities.results).toEqual([
      { visitor_id: 'laptop', user_id: 'u-42', event_id: identified[1]?.event_id },
      { visitor_id: 'tablet', user_id: 'u-7', event_id: identified[3]?.event_id },
    ]);
    expect((await redactAll()).map((answer) => answer.changed)).toEqual([0, 0, 0]);
  });

  it('leaves no value in clear in the per-visit rollups: visits rebuilt from their redacted events, those past retention redacted column by column', async () => {
    const now = Date.now();
    const at = now - 5 * 86_400_000;
    // An older Worker's visits, rolled up from events not redacted: one whole, one whose events retention took.
    const whole = legacyVisit('whole', at);
    const past = legacyVisit('past', now - 40 * 86_400_000);
    await storeRaw([...whole, ...past], 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0.0.0 Safari/537.36');
    const drops = dropStatements(
      [...whole, ...past].map((e) => ({ ...statsEventOf(e as unknown as TrailmarkEvent, e.ts as number, null), site_id: SITE.site })),
    );
    await rebuildVisits(worker.db, SITE.site, ['whole', 'past'], drops);
    await worker.db.prepare("DELETE FROM events WHERE session_id = 'past'").run();
    expect(await dump()).toMatch(/jane|hunter2/);
    const answers = await redactAll();
    expect(answers.find((answer) => answer.table === 'visits')).toEqual({ table: 'visits', read: 2, changed: 4 });
    const after = await dump();
    expect(after).not.toMatch(/jane|ann%40|hunter2|s3cret|Mozilla/);
    // Ids are kept whole where the rules would read a card number: the visitor id passes Luhn.
    expect(after.match(/4111-1111-1111-1111/g)?.length).toBeGreaterThan(10);
    const pages = await worker.db
      .prepare("SELECT session_id, path, views FROM visit_pages WHERE path LIKE '/u/%' ORDER BY session_id")
      .all();
    expect(pages.results).toEqual([
      { session_id: 'past', path: '/u/[redacted:email]', views: 2 },
      { session_id: 'whole', path: '/u/[redacted:email]', views: 2 },
    ]);
    // The whole visit's panels are the reference's over its events as now stored.
    const stored = await worker.db.prepare("SELECT payload, ts, user_agent FROM events WHERE session_id = 'whole'").all();
    const events = stored.results.map((row) =>
      statsEventOf(JSON.parse(row.payload as string) as TrailmarkEvent, row.ts as number, row.user_agent as string),
    );
    for (const [panel, query] of panelQueries(at)) {
      const { sql, params } = panelSql(panel, SITE.site, query);
      const rows = (
        await worker.db
          .prepare(sql)
          .bind(...params)
          .all()
      ).results;
      expect({ panel, data: panelAnswer(panel, query, rows) }).toEqual({ panel, data: statsPanel(panel, events, query) });
    }
    expect((await redactAll()).map((answer) => answer.changed)).toEqual([0, 0, 0]);
    expect(await dump()).toBe(after);
  });
});

/**
 * One visit as a page before the rules sent it: e-mail addresses in its URL, path, title, campaign, referrer's
 * userinfo, an outbound link and a goal's props (one under a password's name), a drop report keyed by one; its
 * visitor id an id of digits and dashes that passes Luhn.
 */
function legacyVisit(session: string, ts: number): Array<Record<string, unknown>> {
  let seq = 1;
  const at = (fields: Record<string, unknown>, offset: number) =>
    event({ visitor_id: '4111-1111-1111-1111', session_id: session, seq: seq++, ts: ts + offset, ...fields });
  return [
    at(
      {
        url: 'https://acme.example/u/jane@example.com?utm_campaign=jane@example.com',
        path: '/u/jane@example.com',
        title: 'Profile of jane@example.com',
        referrer: 'https://jane:s3cret@mail.example/inbox',
        utm_source: 'newsletter',
        utm_campaign: 'jane@example.com',
      },
      0,
    ),
    at({ url: 'https://acme.example/u/ann%40example.com', path: '/u/ann%40example.com', title: 'Ann' }, 10_000),
    at(
      { type: 'click', path: '/u/ann%40example.com', props: { tag: 'a', href: 'https://b.example/?to=jane@example.com', outbound: true } },
      20_000,
    ),
    at({ type: 'signup', path: '/u/ann%40example.com', props: { plan: 'jane@example.com', pw: 'hunter2' } }, 30_000),
    at({ type: 'sdk_dropped', path: '/', props: { 'jane@example.com': 2 } }, 40_000),
  ];
}

/** Each panel over a day around `at`, the breakdown by every dimension and the goal's breakdown by property. */
function panelQueries(at: number): Array<[Exclude<(typeof RANGE_PANELS)[number], 'live'> | 'breakdown' | 'goal_props', StatsQuery]> {
  const range = { from: String(at - 43_200_000), to: String(at + 43_200_000) };
  const query = (record: Record<string, string>) => parseStatsQuery(new URLSearchParams(record), at + 86_400_000) as StatsQuery;
  return [
    ...RANGE_PANELS.map((panel) => [panel, query(range)] as [(typeof RANGE_PANELS)[number], StatsQuery]),
    ...STATS_DIMENSIONS.map((by) => ['breakdown', query({ ...range, by, limit: '100' })] as ['breakdown', StatsQuery]),
    ['goal_props', query({ ...range, goal: 'signup', prop: 'plan' })],
  ];
}

/** Every row of every table of the Worker's database, as text. */
async function dump(): Promise<string> {
  const tables = await worker.db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' ORDER BY name")
    .all<{ name: string }>();
  const out: string[] = [];
  for (const { name } of tables.results) out.push(name, JSON.stringify((await worker.db.prepare(`SELECT * FROM "${name}"`).all()).results));
  return out.join('\n');
}
