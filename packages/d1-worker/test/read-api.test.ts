import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchInit, event, OTHER, SITE, secret, startTestWorker, type TestWorker } from './helpers.js';

let worker: TestWorker;

// Visitors of the test site with known companies, locations and times, written straight to D1.
const SEEDED = [
  ['alpha-1', 'Alpha GmbH', 'Berlin, DE', 5, '-1 hours', '-3 days'],
  ['alpha-2', 'Alpha GmbH', 'Munich, DE', 2, '-2 hours', '-2 days'],
  ['beta-1', 'Beta 100% Ltd', 'Sydney, AU', 1, '-50 hours', '-2 days'],
  ['gamma_1', 'Gamma Inc', 'Austin, US', 7, '-10 days', '-10 days'],
] as const;

beforeAll(async () => {
  worker = await startTestWorker();
  const insert = worker.db.prepare(
    `INSERT INTO visitors (api_key, visitor_id, company, location, page_views, last_seen_at, first_seen_at)
     VALUES (?, ?, ?, ?, ?, datetime('now', ?), datetime('now', ?))`,
  );
  await worker.db.batch(
    SEEDED.map(([id, company, location, views, last, first]) => insert.bind(SITE.writeKey, id, company, location, views, last, first)),
  );
  // Another site's visitor must never show up.
  await worker.db.batch([insert.bind(OTHER.writeKey, 'foreign-1', 'Alpha GmbH', 'Berlin, DE', 9, '-1 hours', '-1 hours')]);
});
afterAll(async () => {
  await worker?.mf.dispose();
});

const ids = (body: { visitors: { visitor_id: string }[] }) => body.visitors.map((v) => v.visitor_id);

describe('GET /', () => {
  it('answers an index of the routes, without a key, and 405 to another method', async () => {
    const res = await worker.call('/');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, service: 'trailmark d1-worker' });
    expect(Object.keys(res.body.routes)).toEqual(expect.arrayContaining(['POST /track/batch', 'GET /api/visitors', 'GET /api/live']));
    expect((await worker.call('/', { method: 'DELETE' })).status).toBe(405);
  });
});

describe('GET /api/visitors', () => {
  it("lists the site's visitors newest first with the total, and pages with limit/offset", async () => {
    const all = await worker.call('/api/visitors', { headers: secret() });
    expect(all.status).toBe(200);
    expect(ids(all.body)).toEqual(['alpha-1', 'alpha-2', 'beta-1', 'gamma_1']);
    expect(all.body.total).toBe(4);
    const page = await worker.call('/api/visitors?limit=2&offset=1', { headers: secret() });
    expect(ids(page.body)).toEqual(['alpha-2', 'beta-1']);
    expect(page.body).toMatchObject({ total: 4, limit: 2, offset: 1 });
  });

  it('filters by company, location, visitor id, last-seen date range and recent activity', async () => {
    const get = async (query: string) => ids((await worker.call(`/api/visitors?${query}`, { headers: secret() })).body);
    expect(await get('company=alpha')).toEqual(['alpha-1', 'alpha-2']);
    expect(await get('company=100%25')).toEqual(['beta-1']);
    expect(await get('location=DE')).toEqual(['alpha-1', 'alpha-2']);
    expect(await get('q=_')).toEqual(['gamma_1']);
    expect(await get('active_hours=3')).toEqual(['alpha-1', 'alpha-2']);
    const from = new Date(Date.now() - 5 * 86_400_000).toISOString();
    const to = new Date(Date.now() - 90 * 60_000).toISOString();
    expect(await get(`from=${from}&to=${to}`)).toEqual(['alpha-2', 'beta-1']);
  });

  it('takes a date-only to as the whole of that day (UTC)', async () => {
    // Five days back: no seeded visitor was last seen that day at any hour this runs (yesterday holds alpha-2
    // between midnight and 02:00 UTC).
    const day = new Date(Date.now() - 5 * 86_400_000).toISOString().slice(0, 10);
    await worker.db
      .prepare(`INSERT INTO visitors (api_key, visitor_id, last_seen_at, first_seen_at) VALUES (?1, 'day-1', ?2, ?2)`)
      .bind(SITE.writeKey, `${day} 15:30:00`)
      .run();
    try {
      const got = await worker.call(`/api/visitors?from=${day}&to=${day}`, { headers: secret() });
      expect(ids(got.body)).toEqual(['day-1']);
    } finally {
      await worker.db.prepare("DELETE FROM visitors WHERE visitor_id = 'day-1'").run();
    }
  });

  it('searches with company, location and q up to their limits (escaped, no D1 pattern limit), and says 400 past them', async () => {
    for (const [name, max] of [
      ['q', 128],
      ['company', 256],
      ['location', 256],
    ] as const) {
      for (const text of ['x'.repeat(49), '%'.repeat(30), '_\\'.repeat(20), 'a'.repeat(max)]) {
        const res = await worker.call(`/api/visitors?${name}=${encodeURIComponent(text)}`, { headers: secret() });
        expect([name, text.length, res.status, res.body.total]).toEqual([name, text.length, 200, 0]);
      }
      const long = await worker.call(`/api/visitors?${name}=${'a'.repeat(max + 1)}`, { headers: secret() });
      expect([long.status, long.body.code, long.body.error]).toEqual([
        400,
        'invalid_request',
        `${name}: must be at most ${max} characters`,
      ]);
    }
    expect(ids((await worker.call('/api/visitors?company=ALPHA%20gmbh', { headers: secret() })).body)).toEqual(['alpha-1', 'alpha-2']);
  });

  it('answers one visitor by id, and 404 for a visitor of another site', async () => {
    const one = await worker.call('/api/visitors/alpha-1', { headers: secret() });
    expect(one.body.visitor).toMatchObject({ visitor_id: 'alpha-1', company: 'Alpha GmbH', page_views: 5 });
    const foreign = await worker.call('/api/visitors/foreign-1', { headers: secret() });
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe('not_found');
  });

  it('refuses bad paging parameters with 400', async () => {
    for (const query of ['limit=0', 'limit=abc', 'offset=-1', 'from=yesterday-ish', `q=${'x'.repeat(200)}`]) {
      const res = await worker.call(`/api/visitors?${query}`, { headers: secret() });
      expect(res.status, query).toBe(400);
      expect(res.body.code, query).toBe('invalid_request');
    }
  });
});

describe('GET /api/stats', () => {
  it('counts unique visitors, page views, top companies, the daily timeline and recent activity', async () => {
    const res = await worker.call('/api/stats?hours=24&days=5', { headers: secret() });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, unique_visitors: 4, total_page_views: 15, active: { hours: 24, visitors: 2 } });
    expect(res.body.top_companies[0]).toEqual({ company: 'Alpha GmbH', visits: 2, total_views: 7 });
  });

  it("counts each day of the timeline from that day's events, not all on the day of the first visit", async () => {
    // The other site, so this file's other visitors stay out of its timeline.
    const day = (ago: number) => new Date(Date.now() - ago * 86_400_000).toISOString().slice(0, 10);
    const at = (ago: number) => Date.parse(`${day(ago)}T12:00:00Z`);
    const views = (visitor: string, ago: number, n: number) =>
      Array.from({ length: n }, () => event({ site_id: OTHER.site, visitor_id: visitor, ts: Math.min(at(ago), Date.now() - 1000) }));
    const batch = [...views('tl-1', 2, 1), ...views('tl-1', 1, 2), ...views('tl-2', 1, 1), ...views('tl-1', 0, 3)];
    const sent = await worker.call('/track/batch', batchInit(batch, { 'x-trailmark-key': OTHER.writeKey }));
    expect(sent.body.accepted).toHaveLength(7);
    const ping = { event: 'pageview', visitor: { visitorId: 'tl-3', url: 'https://other.example/' }, website: 'other.example' };
    await worker.call('/track/visitor', { method: 'POST', headers: { 'x-tippen-api-key': OTHER.writeKey }, body: JSON.stringify(ping) });
    const res = await worker.call('/api/stats?days=3', { headers: secret(OTHER.secretKey) });
    expect(res.body.timeline).toEqual([
      { date: day(0), unique_visitors: 2, page_views: 4 },
      { date: day(1), unique_visitors: 2, page_views: 3 },
      { date: day(2), unique_visitors: 1, page_views: 1 },
    ]);
    for (const table of ['visitors', 'visitor_days', 'events']) {
      await worker.db.prepare(`DELETE FROM ${table} WHERE visitor_id IN ('tl-1', 'tl-2', 'tl-3')`).run();
    }
  });
});

describe('video sessions', () => {
  const move = (visitorId: string, status: string, method = 'PATCH', extra: Record<string, unknown> = {}) =>
    worker.call(`/api/visitors/${visitorId}/video`, {
      method,
      headers: { 'content-type': 'application/json', ...secret() },
      body: JSON.stringify({ status, ...extra }),
    });

  it('moves invited → accepted → completed, setting the session and timestamps', async () => {
    const invited = await move('alpha-1', 'invited', 'POST', { video_session_id: 'vs_abc123' });
    expect(invited.status).toBe(200);
    expect(invited.body).toMatchObject({ video_status: 'invited', video_session_id: 'vs_abc123', video_accepted_at: null });
    expect(invited.body.video_invited_at).toMatch(/^\d{4}-/);
    const accepted = await move('alpha-1', 'accepted');
    expect(accepted.body).toMatchObject({ video_status: 'accepted', video_session_id: 'vs_abc123' });
    expect(accepted.body.video_accepted_at).toMatch(/^\d{4}-/);
    const completed = await move('alpha-1', 'completed');
    expect(completed.body.video_status).toBe('completed');
  });

  it('refuses moves the state machine does not allow with 409', async () => {
    const skip = await move('alpha-2', 'accepted');
    expect(skip.status).toBe(409);
    expect(skip.body.code).toBe('conflict');
    await move('alpha-2', 'invited', 'POST');
    await move('alpha-2', 'declined');
    const afterDecline = await move('alpha-2', 'completed');
    expect(afterDecline.status).toBe(409);
    const twice = await move('beta-1', 'invited', 'POST');
    expect(twice.body.video_session_id).toMatch(/^vs_/);
    expect((await move('beta-1', 'invited', 'POST')).status).toBe(409);
  });

  it('answers 400 for an unknown status and 404 for an unknown visitor', async () => {
    const bad = await move('gamma_1', 'teleported');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid_request');
    const missing = await move('nobody', 'invited', 'POST');
    expect(missing.status).toBe(404);
  });

  it('reports the acceptance rate, counting completed calls as accepted', async () => {
    const res = await worker.call('/api/video/acceptance', { headers: secret() });
    expect(res.status).toBe(200);
    // alpha-1 completed (accepted), alpha-2 declined, beta-1 invited.
    expect(res.body).toEqual({ ok: true, total_invites: 3, accepted: 1, declined: 1, completed: 1, pending: 1, acceptance_rate: 33.33 });
  });

  it('keeps every invitation: a new one after a completed call leaves that acceptance counted', async () => {
    expect((await move('alpha-1', 'invited', 'POST', { video_session_id: 'vs_second' })).status).toBe(200);
    const res = await worker.call('/api/video/acceptance', { headers: secret() });
    // Over invitations: alpha-1 twice (completed, then pending), alpha-2 declined, beta-1 pending.
    expect(res.body).toEqual({ ok: true, total_invites: 4, accepted: 1, declined: 1, completed: 1, pending: 2, acceptance_rate: 25 });
    const visitor = await worker.call('/api/visitors/alpha-1', { headers: secret() });
    expect(visitor.body.visitor).toMatchObject({ video_status: 'invited', video_session_id: 'vs_second', video_accepted_at: null });
    expect(visitor.body.video_sessions).toEqual([
      expect.objectContaining({ video_session_id: 'vs_abc123', status: 'completed', accepted_at: expect.any(String) }),
      expect.objectContaining({ video_session_id: 'vs_second', status: 'invited', accepted_at: null }),
    ]);
  });
});

describe('GET /health', () => {
  it('answers without a key', async () => {
    const res = await worker.call('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true });
  });
});

describe('read API keys', () => {
  it('never answers a write key, nor a key in the query string', async () => {
    const write = await worker.call('/api/visitors', { headers: { authorization: `Bearer ${SITE.writeKey}` } });
    expect(write.status).toBe(403);
    expect(write.body.code).toBe('forbidden');
    // A secret key in a URL is refused with 403 (issue 27, docs/privacy.md): URLs end up in logs and histories.
    const query = await worker.call(`/api/visitors?key=${SITE.secretKey}`);
    expect(query.status).toBe(403);
    expect(query.body.code).toBe('forbidden');
  });

  it("shows each secret key its own site's data only", async () => {
    await worker.call(
      '/track/batch',
      batchInit([event({ visitor_id: 'other-live', site_id: OTHER.site })], { 'x-trailmark-key': OTHER.writeKey }),
    );
    const other = await worker.call('/api/visitors', { headers: secret(OTHER.secretKey) });
    expect(ids(other.body).sort()).toEqual(['foreign-1', 'other-live']);
  });
});
