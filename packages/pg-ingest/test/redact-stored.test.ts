import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processEventsBatch } from '../src/etl.js';
import { redactStored } from '../src/redact-stored.js';
import { insertEvents } from '../src/store.js';
import { BACKENDS, createTestDb, event, type TestDb } from './helpers.js';

/** Every row of every table of the schema, as text. */
async function dump(t: TestDb): Promise<string> {
  const tables = await t.db.query<{ name: string }>(
    "SELECT quote_ident(table_name) AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
  );
  const parts: string[] = [];
  for (const { name } of tables)
    parts.push(...(await t.db.query<{ row: string }>(`SELECT x::text AS row FROM ${name} x`)).map((r) => r.row));
  return parts.join('\n');
}

for (const kind of BACKENDS) {
  describe(`trailmark-pg redact (${kind})`, () => {
    let t: TestDb;
    beforeAll(async () => {
      t = await createTestDb(kind);
    });
    afterAll(() => t.drop());

    it('runs the rules over raw events stored before them and every table derived from them, idempotently', async () => {
      // Stored as an older server stored them: not redacted, the raw user agent; then the ETL derives its tables.
      const events = [
        event({
          url: 'https://shop.example/u/jane@example.com?utm_campaign=jane@example.com',
          path: '/u/jane@example.com',
          utm_source: 'jane@example.com',
          utm_campaign: 'jane@example.com',
        }),
        event({ type: 'form_submit', props: { values: { pw: 'hunter2', note: 'call +49 151 12345678' } } }),
        event({ type: 'signup', props: { kennwort: 'hunter2' } }),
      ];
      await insertEvents(t.db, events, { skewMs: 0, userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/131.0.0.0 Safari/537.36', ip: null });
      await processEventsBatch(t.db, 100);
      expect(await dump(t)).toMatch(/jane|hunter2|Mozilla/);
      const changed = await redactStored(t.db);
      expect(changed.events_log).toBe(3);
      const after = await dump(t);
      expect(after).not.toMatch(/jane@|hunter2|Mozilla|12345678/);
      expect(after).toContain('Chrome; Windows; desktop');
      expect(Object.values(await redactStored(t.db)).every((n) => n === 0)).toBe(true);
    });

    it('derives again each identity whose user id the rules now redact, from the events as redacted', async () => {
      // An older server's identities: a visitor identified first by its e-mail address, later by an opaque id;
      // another by its e-mail address only; a third by an opaque id.
      const at = Date.now() - 60_000;
      const later = event({ session_id: 'l', visitor_id: 'laptop', user_id: 'u-42' }, at + 1000);
      const tablet = event({ session_id: 't', visitor_id: 'tablet', user_id: 'u-7' }, at);
      await insertEvents(
        t.db,
        [
          event({ session_id: 'l', visitor_id: 'laptop', user_id: 'jane@example.com' }, at),
          later,
          event({ session_id: 'p', visitor_id: 'phone', user_id: 'ann@example.com' }, at),
          tablet,
        ],
        { skewMs: 0, userAgent: null, ip: null },
      );
      const identities = () =>
        t.db.query(
          "SELECT visitor_id, user_id, event_id FROM visitor_users WHERE visitor_id IN ('laptop', 'phone', 'tablet') ORDER BY visitor_id",
        );
      expect((await identities()).map((row) => row.user_id)).toEqual(['jane@example.com', 'ann@example.com', 'u-7']);
      expect(await redactStored(t.db)).toMatchObject({ events_log: 2, visitor_users: 2 });
      expect(await identities()).toEqual([
        { visitor_id: 'laptop', user_id: 'u-42', event_id: later.event_id },
        { visitor_id: 'tablet', user_id: 'u-7', event_id: tablet.event_id },
      ]);
      expect(await redactStored(t.db)).toMatchObject({ events_log: 0, visitor_users: 0 });
    });
  });
}
