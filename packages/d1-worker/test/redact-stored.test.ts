import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { event, SITE, secret, startTestWorker, type TestWorker } from './helpers.js';

let worker: TestWorker;
beforeAll(async () => {
  worker = await startTestWorker();
});
afterAll(async () => {
  await worker?.mf.dispose();
});

describe('POST /admin/redact', () => {
  it("runs today's rules over the site's events and visitors stored before them, chunk by chunk, idempotently", async () => {
    // Rows as an older Worker stored them: the payload not redacted, the raw user agent, an e-mail as the website.
    const raw = [
      event({ visitor_id: 'v-old', utm_campaign: 'jane@example.com', props: { pw: 'hunter2' } }),
      event({ visitor_id: 'v-old', title: 'Welcome jane%40example.com' }),
    ];
    for (const e of raw) {
      await worker.db
        .prepare(
          `INSERT INTO events (event_id, ingest_id, api_key, site_id, visitor_id, session_id, type, ts, received_at, payload, user_agent)
           VALUES (?1, 'old', ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9)`,
        )
        .bind(
          e.event_id,
          SITE.writeKey,
          SITE.site,
          e.visitor_id,
          e.session_id,
          e.type,
          e.ts,
          JSON.stringify(e),
          'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Safari/604.1',
        )
        .run();
    }
    await worker.db
      .prepare("INSERT INTO visitors (api_key, visitor_id, website, page_views) VALUES (?1, 'v-old', 'jane@example.com', 1)")
      .bind(SITE.writeKey)
      .run();
    expect((await worker.call('/admin/redact', { method: 'POST', headers: { authorization: `Bearer ${SITE.writeKey}` } })).status).toBe(
      403,
    );
    const first = await worker.call('/admin/redact', { method: 'POST', headers: secret() });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ done: true, changed: 3 });
    const rows = await worker.db.prepare("SELECT payload, user_agent FROM events WHERE visitor_id = 'v-old'").all();
    const visitors = await worker.db.prepare("SELECT website FROM visitors WHERE visitor_id = 'v-old'").all();
    const dump = JSON.stringify([rows.results, visitors.results]);
    expect(dump).not.toMatch(/jane|hunter2|Mozilla/);
    expect(dump).toContain('Safari; iOS; mobile');
    const again = await worker.call('/admin/redact', { method: 'POST', headers: secret() });
    expect(again.body).toMatchObject({ done: true, changed: 0 });
  });
});
