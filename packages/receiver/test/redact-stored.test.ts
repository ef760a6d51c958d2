import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrailmarkEvent } from '@trailmark/protocol';
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
    expect(JSON.parse(lines[0] as string)).toEqual({ ok: true, events: 2, eventsChanged: 2, rollupsChanged: 1, identitiesChanged: 0 });
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
});
