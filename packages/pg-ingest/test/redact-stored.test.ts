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
  });
}
