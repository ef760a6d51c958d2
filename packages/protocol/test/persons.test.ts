import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  identitiesOf,
  identityStatements,
  personOf,
  personSql,
  REDACTION_MARK,
  redactEvent,
  SENSITIVE_VALUE,
  type StatsEvent,
  type StatsQuery,
  statsPanel,
} from '../src/index.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 11, 3, 12);
let n = 0;
const ev = (visitor: string, session: string, ts: number, extra: Partial<StatsEvent> = {}): StatsEvent & { site_id: string } => ({
  event_id: `00000000-0000-7000-8000-${String(++n).padStart(12, '0')}`,
  type: 'pageview',
  ts,
  seq: n,
  site_id: 'site',
  visitor_id: visitor,
  session_id: session,
  path: '/',
  ...extra,
});
const range: StatsQuery = {
  from: NOW - 72 * HOUR,
  to: NOW,
  interval: 'day',
  filters: {},
  by: 'page',
  limit: 10,
  steps: [],
  bots: 'exclude',
};

// A laptop browses anonymously, comes back and logs in midway; a phone is logged in as the same user, and later
// as another (a shared phone: the first identification stands).
const events = [
  ev('laptop', 'l1', NOW - 50 * HOUR),
  ev('laptop', 'l2', NOW - 10 * HOUR),
  ev('laptop', 'l2', NOW - 10 * HOUR + 60_000, { user_id: 'u-1' }),
  ev('phone', 'p1', NOW - 5 * HOUR, { user_id: 'u-1' }),
  ev('phone', 'p1', NOW - 5 * HOUR + 60_000, { user_id: 'u-2' }),
  ev('stranger', 's1', NOW - 20 * HOUR),
];

describe('identity stitching', () => {
  it('identifies each visitor as the user of its earliest identification, in any order of the events', () => {
    const expected = new Map([
      ['laptop', 'u-1'],
      ['phone', 'u-1'],
    ]);
    expect(identitiesOf(events)).toEqual(expected);
    expect(identitiesOf([...events].reverse())).toEqual(expected);
    expect(personOf(expected, 'laptop')).toBe('u:u-1');
    expect(personOf(expected, 'stranger')).toBe('v:stranger');
  });

  it('lets no redacted or empty user id identify anyone', () => {
    const carol = redactEvent({ ...ev('c', 'c1', NOW), user_id: 'carol@example.com' } as never).user_id;
    expect(carol).toContain(REDACTION_MARK);
    expect(SENSITIVE_VALUE.startsWith(REDACTION_MARK)).toBe(true);
    expect(
      identitiesOf([
        ev('c', 'c1', NOW - HOUR, { user_id: carol }),
        ev('d', 'd1', NOW - HOUR, { user_id: SENSITIVE_VALUE }),
        ev('e', 'e1', NOW - HOUR, { user_id: '' }),
      ]),
    ).toEqual(new Map());
  });

  it('counts a person once in every visitor figure, the earlier anonymous visit and the second device included', () => {
    expect(statsPanel('summary', events, range)).toMatchObject({ visitors: 2, visits: 4 });
    // The anonymous visit alone, with the identities the backend stored (the login is outside what was read).
    const anonymous = events.slice(0, 1);
    expect(
      statsPanel(
        'summary',
        [...anonymous, ...events.slice(3)],
        range,
        new Map([
          ['laptop', 'u-1'],
          ['phone', 'u-1'],
        ]),
      ),
    ).toMatchObject({
      visitors: 2,
      visits: 3,
    });
    expect(statsPanel('summary', [...anonymous, ...events.slice(3)], range)).toMatchObject({ visitors: 3, visits: 3 });
    expect(statsPanel('breakdown', events, range)).toEqual({ by: 'page', rows: [{ value: '/', visitors: 2, visits: 4, pageviews: 6 }] });
  });

  it('keeps the same table in SQL whatever the order and number of deliveries, and resolves people as personOf does', () => {
    const db = new Database(':memory:');
    db.exec(`CREATE TABLE visitor_users (site_id TEXT NOT NULL, visitor_id TEXT NOT NULL, user_id TEXT NOT NULL, ts INTEGER NOT NULL,
      seq INTEGER NOT NULL, event_id TEXT NOT NULL, PRIMARY KEY (site_id, visitor_id)) WITHOUT ROWID`);
    db.exec('CREATE TABLE visits (site_id TEXT, visitor_id TEXT)');
    const run = (batch: ReadonlyArray<StatsEvent & { site_id: string }>) => {
      for (const { sql, params } of identityStatements(batch)) db.prepare(sql).run(...params);
    };
    // The phone's later identification first, then each event alone in reverse, then everything again.
    run([events[4] as StatsEvent & { site_id: string }]);
    for (const event of [...events].reverse()) run([event]);
    run(events);
    const rows = db.prepare('SELECT visitor_id, user_id FROM visitor_users ORDER BY visitor_id').all();
    expect(rows).toEqual([
      { visitor_id: 'laptop', user_id: 'u-1' },
      { visitor_id: 'phone', user_id: 'u-1' },
    ]);
    const insert = db.prepare('INSERT INTO visits VALUES (?, ?)');
    for (const visitor of ['laptop', 'phone', 'stranger']) insert.run('site', visitor);
    const people = db.prepare(`SELECT ${personSql('v', 'site')} AS person FROM visits v ORDER BY v.visitor_id`).all();
    const identities = identitiesOf(events);
    expect(people).toEqual(['laptop', 'phone', 'stranger'].map((visitor) => ({ person: personOf(identities, visitor) })));
    db.close();
  });

  it('bounces a one-page visit with a js_error or an identify, not one with a form started; none of them is a goal', () => {
    const visits = [
      ev('a', 'error', NOW - HOUR),
      ev('a', 'error', NOW - HOUR + 1000, { type: 'js_error', props: { message: 'boom' } }),
      ev('b', 'login', NOW - HOUR, { user_id: 'u-9' }),
      ev('b', 'login', NOW - HOUR + 1000, { type: 'identify', user_id: 'u-9', props: { plan: 'pro' } }),
      ev('c', 'form', NOW - HOUR),
      ev('c', 'form', NOW - HOUR + 1000, { type: 'form_start', props: { field: 'name' } }),
      ev('c', 'form', NOW - HOUR + 9000, { type: 'form_abandon', props: { last_field: 'email', fields: 2 } }),
    ];
    expect(statsPanel('summary', visits, range)).toMatchObject({ visits: 3, bounces: 2 });
    expect(statsPanel('goals', visits, range)).toEqual({ rows: [] });
  });
});
