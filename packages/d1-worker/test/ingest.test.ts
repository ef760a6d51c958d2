import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchInit, event, eventId, eventually, type Init, pingInit, SITE, secret, startTestWorker, type TestWorker } from './helpers.js';

let worker: TestWorker;
beforeAll(async () => {
  worker = await startTestWorker();
});
afterAll(async () => {
  await worker?.mf.dispose();
});

const visitorRow = (visitorId: string) =>
  worker.db
    .prepare('SELECT * FROM visitors WHERE api_key = ? AND visitor_id = ?')
    .bind(SITE.writeKey, visitorId)
    .first<Record<string, unknown>>();

describe('POST /track/batch', () => {
  it('stores every event and answers each as accepted', async () => {
    const events = [event({ visitor_id: 'v-store' }), event({ visitor_id: 'v-store', type: 'click', props: { tag: 'a' } })];
    const res = await worker.call('/track/batch', batchInit(events));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, accepted: events.map((e) => e.event_id), duplicates: [], rejected: [] });
    const stored = await worker.db
      .prepare("SELECT event_id, type, payload FROM events WHERE visitor_id = 'v-store' ORDER BY type DESC")
      .all<{ event_id: string; payload: string }>();
    expect(stored.results.map((row) => row.event_id).sort()).toEqual(events.map((e) => e.event_id).sort());
    expect(JSON.parse(stored.results[1]?.payload ?? '{}').props).toEqual({ tag: 'a' });
  });

  it('acknowledges a resent batch as duplicates without counting its page views twice', async () => {
    const events = [event({ visitor_id: 'v-idem' }), event({ visitor_id: 'v-idem', path: '/b', url: 'https://acme.example/b' })];
    const first = await worker.call('/track/batch', batchInit(events));
    expect(first.body.accepted).toHaveLength(2);
    const again = await worker.call('/track/batch', batchInit([...events, events[0]]));
    expect(again.status).toBe(200);
    expect(again.body.accepted).toEqual([]);
    expect(again.body.duplicates.sort()).toEqual([events[0]?.event_id, events[0]?.event_id, events[1]?.event_id].sort());
    const count = await worker.db.prepare("SELECT COUNT(*) AS n FROM events WHERE visitor_id = 'v-idem'").first<{ n: number }>();
    expect(count?.n).toBe(2);
    expect((await visitorRow('v-idem'))?.page_views).toBe(2);
  });

  it('takes an event_id in another letter case for the same event (UUIDs are case-insensitive)', async () => {
    const e = event({ visitor_id: 'v-case', event_id: eventId().toUpperCase() });
    const lower = { ...e, event_id: (e.event_id as string).toLowerCase() };
    const first = await worker.call('/track/batch', batchInit([e, lower]));
    expect(first.body).toEqual({ ok: true, accepted: [e.event_id], duplicates: [lower.event_id], rejected: [] });
    const again = await worker.call('/track/batch', batchInit([lower]));
    expect(again.body).toMatchObject({ accepted: [], duplicates: [lower.event_id] });
    const rows = await worker.db.prepare("SELECT event_id FROM events WHERE visitor_id = 'v-case'").all<{ event_id: string }>();
    expect(rows.results.map((row) => row.event_id)).toEqual([lower.event_id]);
    expect((await visitorRow('v-case'))?.page_views).toBe(1);
  });

  it('upserts one visitor row, adding page views and engaged seconds from heartbeats and visibility', async () => {
    const now = Date.now();
    await worker.call('/track/batch', batchInit([event({ visitor_id: 'v-count', ts: now - 5000 })]));
    const res = await worker.call(
      '/track/batch',
      batchInit([
        event({ visitor_id: 'v-count', ts: now - 4000, path: '/p', url: 'https://acme.example/p' }),
        event({ visitor_id: 'v-count', ts: now - 3000, type: 'heartbeat', props: { engaged_ms: 15_000 } }),
        event({ visitor_id: 'v-count', ts: now - 2000, type: 'page_visibility', props: { state: 'hidden', engaged_ms: 5_000 } }),
        event({ visitor_id: 'v-count', ts: now - 1000, type: 'heartbeat', props: { engaged_ms: 'lots' } }),
        event({ visitor_id: 'v-count-2', ts: now - 1000 }),
      ]),
    );
    expect(res.body.accepted).toHaveLength(5);
    const rows = await worker.db.prepare("SELECT COUNT(*) AS n FROM visitors WHERE visitor_id = 'v-count'").first<{ n: number }>();
    expect(rows?.n).toBe(1);
    const row = await visitorRow('v-count');
    expect(row?.page_views).toBe(2);
    expect(row?.total_time_seconds).toBe(20);
    expect(row?.last_seen_at).toBe(new Date(now - 1000).toISOString().slice(0, 19).replace('T', ' '));
    expect(row?.first_seen_at).toBe(new Date(now - 5000).toISOString().slice(0, 19).replace('T', ' '));
    expect((await visitorRow('v-count-2'))?.page_views).toBe(1);
  });

  it('stores a 1000-event batch across many chunked inserts', async () => {
    const events = Array.from({ length: 1000 }, (_, i) =>
      event({ visitor_id: `v-big-${i % 7}`, seq: i + 1, type: i % 2 ? 'click' : 'pageview' }),
    );
    const res = await worker.call('/track/batch', batchInit(events));
    expect(res.status).toBe(200);
    expect(res.body.accepted).toHaveLength(1000);
    const views = await worker.db
      .prepare("SELECT SUM(page_views) AS n, COUNT(*) AS rows FROM visitors WHERE visitor_id LIKE 'v-big-%'")
      .first<{ n: number; rows: number }>();
    expect(views).toEqual({ n: 500, rows: 7 });
    // Resent with 500 new events mixed in: only the new ones are stored, across every chunk.
    const again = [...events.slice(0, 500), ...events.slice(0, 500).map((e) => ({ ...e, event_id: crypto.randomUUID() }))];
    const resent = await worker.call('/track/batch', batchInit(again));
    expect(resent.body.accepted).toHaveLength(500);
    expect(resent.body.duplicates).toHaveLength(500);
    const after = await worker.db
      .prepare("SELECT SUM(page_views) AS n FROM visitors WHERE visitor_id LIKE 'v-big-%'")
      .first<{ n: number }>();
    expect(after?.n).toBe(750);
  });

  it('rejects an event of another site and a malformed event on their own, storing the rest', async () => {
    const good = event({ visitor_id: 'v-mixed' });
    const foreign = event({ visitor_id: 'v-mixed', site_id: 'other' });
    const bad = event({ type: '1nvalid type' });
    const res = await worker.call('/track/batch', batchInit([foreign, good, bad]));
    expect(res.status).toBe(200);
    expect(res.body.accepted).toEqual([good.event_id]);
    expect(res.body.rejected).toEqual([
      { index: 0, event_id: foreign.event_id, reason: expect.stringContaining('site_id') },
      { index: 2, event_id: bad.event_id, reason: expect.stringContaining('type') },
    ]);
  });

  it('answers on /v1/batch too, with the key in the query string and a text/plain body', async () => {
    const e = event({ visitor_id: 'v-alias' });
    const res = await worker.call(`/v1/batch?key=${SITE.writeKey}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify({ events: [e] }),
    });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toEqual([e.event_id]);
  });

  it('accepts the write key as a Bearer token and as X-Tippen-API-Key', async () => {
    for (const headers of [{ authorization: `Bearer ${SITE.writeKey}` }, { 'x-tippen-api-key': SITE.writeKey }]) {
      const e = event({ visitor_id: 'v-keys' });
      const res = await worker.call('/track/batch', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ events: [e] }),
      });
      expect(res.body.accepted).toEqual([e.event_id]);
    }
  });

  it('corrects client clock skew from sent_at', async () => {
    const skew = 60 * 60 * 1000;
    const e = event({ visitor_id: 'v-skew', ts: Date.now() - skew });
    const res = await worker.call('/track/batch', {
      ...batchInit([e]),
      body: JSON.stringify({ sent_at: Date.now() - skew, events: [e] }),
    });
    expect(res.body.accepted).toEqual([e.event_id]);
    const row = await worker.db.prepare('SELECT ts FROM events WHERE event_id = ?').bind(e.event_id).first<{ ts: number }>();
    expect(Math.abs((row?.ts ?? 0) - (Date.now() - 1000))).toBeLessThan(5000);
  });

  it('lets the key website read the answer (CORS) and counts every use of the key exactly, with the request', async () => {
    const usage = () =>
      worker.db
        .prepare('SELECT usage_count, last_used_at FROM api_keys WHERE api_key = ?')
        .bind(SITE.writeKey)
        .first<{ usage_count: number; last_used_at: string | null }>();
    const before = (await usage())?.usage_count ?? 0;
    const sent = event({ visitor_id: 'v-cors' });
    const res = await worker.call('/track/batch', batchInit([sent], { origin: SITE.website }));
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(SITE.website);
    // Within the same second, a resend (nothing new stored) and a tippen ping: each counts, at once.
    expect((await worker.call('/track/batch', batchInit([sent]))).body.duplicates).toEqual([sent.event_id]);
    const ping = { event: 'pageview', visitor: { visitorId: 'v-cors-ping', url: 'https://acme.example/' }, website: 'acme.example' };
    await worker.call('/track/visitor', { method: 'POST', headers: { 'x-tippen-api-key': SITE.writeKey }, body: JSON.stringify(ping) });
    const after = await usage();
    expect(after?.usage_count).toBe(before + 3);
    expect(after?.last_used_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });

  it('enriches the visitor from the request cf object and user agent', async () => {
    const res = await worker.call('/track/batch', {
      ...batchInit([event({ visitor_id: 'v-cf' })], {
        'user-agent':
          'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0',
      }),
      cf: { asOrganization: 'Contoso Ltd', city: 'Sydney', country: 'AU', timezone: 'Australia/Sydney' } as unknown as NonNullable<
        Init['cf']
      >,
    });
    expect(res.status).toBe(200);
    const row = await visitorRow('v-cf');
    expect(row).toMatchObject({ company: 'Contoso Ltd', location: 'Sydney, AU', last_role: 'Mac - Edge', website: 'acme.example' });
  });

  // Miniflare fills fields a request's cf leaves out from its default, so "says nothing" is spelled out.
  const EMPTY_CF = { asOrganization: '', city: '', country: '', timezone: '' } as unknown as NonNullable<Init['cf']>;

  it("falls back to the seed's company and location when cf says nothing", async () => {
    const res = await worker.call('/track/batch', {
      ...batchInit([event({ visitor_id: 'v-nocf' })], { 'user-agent': 'curl/8' }),
      cf: EMPTY_CF,
    });
    expect(res.status).toBe(200);
    const row = await visitorRow('v-nocf');
    expect(row).toMatchObject({
      company: 'acme.example Visitor',
      location: 'Unknown Location',
      last_role: 'Unknown Device - Unknown Browser',
    });
    const tz = await worker.call('/track/batch', {
      ...batchInit([event({ visitor_id: 'v-tz' })]),
      cf: { ...EMPTY_CF, timezone: 'Australia/Sydney' },
    });
    expect(tz.status).toBe(200);
    expect((await visitorRow('v-tz'))?.location).toBe('Australia/Sydney');
  });

  it('makes stored events readable through GET /api/events for the site', async () => {
    const e = event({ visitor_id: 'v-read-events', props: { plan: 'pro' } });
    await worker.call('/track/batch', batchInit([e]));
    const res = await worker.call('/api/events?visitor_id=v-read-events', { headers: secret() });
    expect(res.status).toBe(200);
    expect(res.body.events).toHaveLength(1);
    expect(res.body.events[0]).toMatchObject({ event_id: e.event_id, props: { plan: 'pro' }, site_id: SITE.site });
  });

  it('redacts personal data in URLs, titles and props again on the server before storing', async () => {
    const e = event({
      visitor_id: 'v-redact',
      url: 'https://acme.example/signup?email=jane@example.com',
      title: 'Order for 4111 1111 1111 1111',
      props: { note: 'call +44 20 7946 0958', nested: { list: ['jane@example.com', 'plain'] }, count: 3 },
    });
    const res = await worker.call('/track/batch', batchInit([e]));
    expect(res.body.accepted).toEqual([e.event_id]);
    const stored = await worker.call('/api/events?visitor_id=v-redact', { headers: secret() });
    expect(stored.body.events[0]).toMatchObject({
      event_id: e.event_id,
      url: 'https://acme.example/signup?email=[redacted:email]',
      title: 'Order for [redacted:card]',
      props: { note: 'call [redacted:phone]', nested: { list: ['[redacted:email]', 'plain'] }, count: 3 },
    });
    expect(stored.text).not.toContain('jane@example.com');
  });
});

describe('sensitive form fields', () => {
  it('stores a password sent in a form_submit as [redacted] (the protocol admission path)', async () => {
    const form = event({
      visitor_id: 'v-pw',
      type: 'form_submit',
      props: { form_id: 'login', values: { email: 'bob@example.com', password: 'hunter2' } },
    });
    expect((await worker.call('/track/batch', batchInit([form]))).body.accepted).toEqual([form.event_id]);
    const row = await worker.db.prepare('SELECT payload FROM events WHERE event_id = ?').bind(form.event_id).first<{ payload: string }>();
    expect(JSON.parse(row?.payload ?? '{}').props).toEqual({
      form_id: 'login',
      values: { email: '[redacted:email]', password: '[redacted]' },
    });
    const read = await worker.call('/api/events?type=form_submit&visitor_id=v-pw', { headers: secret() });
    expect(read.text).not.toContain('hunter2');
  });
});

describe('POST /track/visitor (the tippen contract)', () => {
  const ping = (visitorId: string, event = 'pageview') => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tippen-api-key': SITE.writeKey },
    body: JSON.stringify({
      event,
      visitor: { visitorId, url: 'https://acme.example/products', timestamp: '2025-10-22T11:30:00Z' },
      website: 'acme.example',
    }),
  });

  it('answers { success, sessionId } and counts page views per visitor', async () => {
    const first = await worker.call('/track/visitor', ping('visitor_test_001'));
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ success: true, sessionId: 'visitor_test_001' });
    await worker.call('/track/visitor', ping('visitor_test_001'));
    await worker.call('/track/visitor', ping('visitor_test_001', 'heartbeat'));
    const row = await visitorRow('visitor_test_001');
    expect(row).toMatchObject({
      page_views: 2,
      website: 'acme.example',
      company: 'Example Networks (sample)',
      location: 'Wellington (sample), NZ',
    });
  });

  it('adds the time since the last ping for each heartbeat, at most 60 s per heartbeat', async () => {
    await worker.call('/track/visitor', ping('visitor_hb'));
    // Pretend the first ping was 25 s ago, then 10 min before a second heartbeat.
    const back = (seconds: number) =>
      worker.db
        .prepare("UPDATE visitors SET last_seen_at = datetime('now', ?1) WHERE visitor_id = 'visitor_hb'")
        .bind(`-${seconds} seconds`)
        .run();
    await back(25);
    await worker.call('/track/visitor', ping('visitor_hb', 'heartbeat'));
    const first = Number((await visitorRow('visitor_hb'))?.total_time_seconds);
    expect(first).toBeGreaterThanOrEqual(25);
    expect(first).toBeLessThanOrEqual(27);
    await back(600);
    await worker.call('/track/visitor', ping('visitor_hb', 'heartbeat'));
    expect(Number((await visitorRow('visitor_hb'))?.total_time_seconds)).toBe(first + 60);
    await worker.call('/track/visitor', ping('visitor_hb', 'pageview'));
    expect((await visitorRow('visitor_hb'))?.total_time_seconds).toBe(first + 60);
  });

  it('redacts the ping URL before it reaches the live list', async () => {
    await worker.call('/track/visitor', pingInit('visitor_pii', 'https://acme.example/pay?email=bob@example.com&n=4111111111111111'));
    const live = await eventually(async () => {
      const res = await worker.call('/api/live', { headers: secret() });
      return res.body.visitors.find((v: { visitor_id: string }) => v.visitor_id === 'visitor_pii');
    });
    expect(live.url).toBe('https://acme.example/pay?email=[redacted:email]&n=[redacted:card]');
    // Percent-encoded, as browsers write an address in a query string: decoded before the rules run.
    await worker.call('/track/visitor', pingInit('visitor_pii2', 'https://acme.example/pay?email=bob%40example.com'));
    const encoded = await eventually(async () => {
      const res = await worker.call('/api/live', { headers: secret() });
      return res.body.visitors.find((v: { visitor_id: string }) => v.visitor_id === 'visitor_pii2');
    });
    expect(encoded.url).not.toContain('bob');
    expect(decodeURIComponent(new URL(encoded.url).searchParams.get('email')!)).toContain('redacted:email');
  });

  it('refuses a ping without a visitor id with a JSON reason', async () => {
    const res = await worker.call('/track/visitor', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tippen-api-key': SITE.writeKey },
      body: JSON.stringify({ event: 'pageview', visitor: { url: 'https://acme.example/' } }),
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ ok: false, code: 'invalid_request', error: expect.stringContaining('visitorId') });
  });
});

describe('development keys', () => {
  it('stores events under an unregistered key only when ALLOW_UNREGISTERED_KEYS is on', async () => {
    const dev = await startTestWorker({ ALLOW_UNREGISTERED_KEYS: 'true' });
    try {
      const e = event({ site_id: 'anything', visitor_id: 'v-dev' });
      const res = await dev.call('/track/batch', batchInit([e], { 'x-trailmark-key': 'pk_not_registered' }));
      expect(res.status).toBe(200);
      expect(res.body.accepted).toEqual([e.event_id]);
      const row = await dev.db
        .prepare("SELECT page_views FROM visitors WHERE api_key = 'pk_not_registered'")
        .first<{ page_views: number }>();
      expect(row?.page_views).toBe(1);
    } finally {
      await dev.mf.dispose();
    }
    const refused = await worker.call('/track/batch', batchInit([event()], { 'x-trailmark-key': 'pk_not_registered' }));
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('unauthorized');
  });
});

describe('storage failure', () => {
  it('answers 503 unavailable with Retry-After when D1 fails, and stores nothing', async () => {
    // The Worker logs the failure it answers 503 for: collected here, so a passing run prints no alarming stack.
    const logged: string[] = [];
    const broken = await startTestWorker({}, undefined, (text) => logged.push(text));
    try {
      await broken.db.prepare('DROP TABLE visitors').run();
      const e = event({ visitor_id: 'v-broken' });
      const res = await broken.call('/track/batch', batchInit([e]));
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(res.body).toMatchObject({ ok: false, code: 'unavailable' });
      // The insert and the upsert are one transaction: the event was rolled back with the failed upsert.
      const stored = await broken.db.prepare('SELECT COUNT(*) AS n FROM events WHERE event_id = ?').bind(e.event_id).first<{ n: number }>();
      expect(stored?.n).toBe(0);
      await eventually(async () => logged.join('').includes('no such table: visitors'));
    } finally {
      await broken.mf.dispose();
    }
  });
});
