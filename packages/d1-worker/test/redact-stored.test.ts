import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { event, SITE, secret, startTestWorker, type TestWorker } from './helpers.js';

let worker: TestWorker;
beforeAll(async () => {
  worker = await startTestWorker();
});
afterAll(async () => {
  await worker?.mf.dispose();
});

/** Rows as an older Worker stored them: the payload not redacted, the raw user agent. */
async function storeRaw(raw: Array<Record<string, unknown>>): Promise<void> {
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
}

/** What `scripts/redact-stored.mjs` does: every chunk, events then identities, until `done`; the answers in order. */
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
    expect((await worker.call('/admin/redact?table=visits', { method: 'POST', headers: secret() })).status).toBe(400);
    expect(await redactAll()).toEqual([
      { table: 'events', read: 2, changed: 3 },
      { table: 'visitor_users', read: 0, changed: 0 },
    ]);
    const rows = await worker.db.prepare("SELECT payload, user_agent FROM events WHERE visitor_id = 'v-old'").all();
    const visitors = await worker.db.prepare("SELECT website FROM visitors WHERE visitor_id = 'v-old'").all();
    const dump = JSON.stringify([rows.results, visitors.results]);
    expect(dump).not.toMatch(/jane|hunter2|Mozilla/);
    expect(dump).toContain('Safari; iOS; mobile');
    expect((await redactAll()).map((answer) => answer.changed)).toEqual([0, 0]);
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
    expect((await redactAll()).map((answer) => answer.changed)).toEqual([0, 0]);
  });
});
