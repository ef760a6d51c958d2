import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchInit, event, type Init, OTHER, SITE, secret, startTestWorker, type TestWorker } from './helpers.js';

let worker: TestWorker;
beforeAll(async () => {
  worker = await startTestWorker();
});
afterAll(async () => {
  await worker?.mf.dispose();
});

const json = { 'content-type': 'application/json' };
const withKey = { ...json, 'x-trailmark-key': SITE.writeKey };
const envelope = (events: unknown) => JSON.stringify({ v: 1, events });

interface Case {
  name: string;
  path?: string;
  init: Init;
  status: number;
  code: string;
}

const CASES: Case[] = [
  { name: 'malformed JSON', init: { method: 'POST', headers: withKey, body: '{"events": [' }, status: 400, code: 'malformed_json' },
  {
    name: 'truncated JSON',
    init: { method: 'POST', headers: withKey, body: envelope([event()]).slice(0, 60) },
    status: 400,
    code: 'malformed_json',
  },
  { name: 'not JSON at all', init: { method: 'POST', headers: withKey, body: 'hello' }, status: 400, code: 'malformed_json' },
  { name: 'empty body', init: { method: 'POST', headers: withKey, body: '' }, status: 400, code: 'invalid_request' },
  {
    name: 'body over 512 KiB',
    init: { method: 'POST', headers: withKey, body: envelope([event({ title: 'x'.repeat(600 * 1024) })]) },
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'more than 1000 events',
    init: { method: 'POST', headers: withKey, body: envelope(Array.from({ length: 1001 }, () => ({}))) },
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'deeply nested envelope',
    init: { method: 'POST', headers: withKey, body: `${'['.repeat(50_000)}${']'.repeat(50_000)}` },
    status: 400,
    code: 'invalid_batch',
  },
  {
    name: 'events is not an array',
    init: { method: 'POST', headers: withKey, body: '{"events": {"0": 1}}' },
    status: 400,
    code: 'invalid_batch',
  },
  { name: 'body is a number', init: { method: 'POST', headers: withKey, body: '42' }, status: 400, code: 'invalid_batch' },
  { name: 'body is null', init: { method: 'POST', headers: withKey, body: 'null' }, status: 400, code: 'invalid_batch' },
  { name: 'no events', init: { method: 'POST', headers: withKey, body: envelope([]) }, status: 400, code: 'invalid_batch' },
  {
    name: 'sent_at of the wrong type',
    init: { method: 'POST', headers: withKey, body: JSON.stringify({ sent_at: 'now', events: [event()] }) },
    status: 400,
    code: 'invalid_batch',
  },
  {
    name: 'invalid UTF-8',
    init: { method: 'POST', headers: withKey, body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) },
    status: 400,
    code: 'invalid_utf8',
  },
  {
    name: 'wrong content-type',
    init: { method: 'POST', headers: { 'content-type': 'application/xml', 'x-trailmark-key': SITE.writeKey }, body: '<a/>' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'form content-type',
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-trailmark-key': SITE.writeKey },
      body: 'a=1',
    },
    status: 415,
    code: 'unsupported_media_type',
  },
  { name: 'no key', init: { method: 'POST', headers: json, body: envelope([event()]) }, status: 401, code: 'unauthorized' },
  {
    name: 'unknown key',
    init: { method: 'POST', headers: { ...json, 'x-trailmark-key': 'pk_nope' }, body: envelope([event()]) },
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'SQL injection as the key',
    path: `/track/batch?key=${encodeURIComponent("' OR 1=1 --")}`,
    init: { method: 'POST', headers: json, body: envelope([event()]) },
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'secret key on a write endpoint',
    init: { method: 'POST', headers: { ...json, ...secret() }, body: envelope([event()]) },
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'wrong origin',
    init: { method: 'POST', headers: { ...withKey, origin: 'https://evil.example' }, body: envelope([event()]) },
    status: 403,
    code: 'origin_not_allowed',
  },
  {
    name: "another site's write key from this site's origin",
    init: { method: 'POST', headers: { ...json, 'x-trailmark-key': OTHER.writeKey, origin: SITE.website }, body: envelope([event()]) },
    status: 403,
    code: 'origin_not_allowed',
  },
  { name: 'GET on the batch endpoint', init: { method: 'GET', headers: withKey }, status: 405, code: 'method_not_allowed' },
  { name: 'unknown path', path: '/wp-admin.php', init: { method: 'GET' }, status: 404, code: 'not_found' },
  {
    name: 'write key on a read endpoint',
    path: '/api/visitors',
    init: { headers: { authorization: `Bearer ${SITE.writeKey}` } },
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'write key on stats',
    path: '/api/stats',
    init: { headers: { 'x-trailmark-key': SITE.writeKey } },
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'unknown secret key',
    path: '/api/visitors',
    init: { headers: { authorization: 'Bearer sk_nope' } },
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'read from a wrong origin',
    path: '/api/visitors',
    init: { headers: { ...secret(), origin: 'https://evil.example' } },
    status: 403,
    code: 'origin_not_allowed',
  },
  { name: 'bad limit', path: '/api/events?limit=1e9', init: { headers: secret() }, status: 400, code: 'invalid_request' },
  {
    name: 'injection in a filter value length',
    path: `/api/visitors?company=${encodeURIComponent("'; DROP TABLE visitors; --".repeat(20))}`,
    init: { headers: secret() },
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'tippen ping that is malformed',
    path: '/track/visitor',
    init: { method: 'POST', headers: { ...json, 'x-tippen-api-key': SITE.writeKey }, body: '{"visitor":' },
    status: 400,
    code: 'malformed_json',
  },
  {
    name: 'tippen ping with wrong types',
    path: '/track/visitor',
    init: {
      method: 'POST',
      headers: { ...json, 'x-tippen-api-key': SITE.writeKey },
      body: JSON.stringify({ event: 'pageview', visitor: { visitorId: 42 } }),
    },
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'tippen ping over its 16 KiB limit',
    path: '/track/visitor',
    init: {
      method: 'POST',
      headers: { ...json, 'x-tippen-api-key': SITE.writeKey },
      body: JSON.stringify({ visitor: { visitorId: 'v', url: 'x'.repeat(20_000) } }),
    },
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'tippen ping without a key',
    path: '/track/visitor',
    init: { method: 'POST', headers: json, body: '{}' },
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'video status as a number',
    path: '/api/visitors/anyone/video',
    init: { method: 'PATCH', headers: { ...json, ...secret() }, body: '{"status": 3}' },
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'video status malformed',
    path: '/api/visitors/anyone/video',
    init: { method: 'PATCH', headers: { ...json, ...secret() }, body: '{' },
    status: 400,
    code: 'malformed_json',
  },
  {
    name: 'malformed percent-encoding in a path',
    path: '/api/visitors/%E0%A4%A',
    init: { headers: secret() },
    status: 404,
    code: 'not_found',
  },
  {
    name: 'malformed percent-encoding in the key',
    path: '/track/batch?key=%E0%A4%A',
    init: { method: 'POST', headers: json, body: envelope([event()]) },
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'DELETE of a visitor',
    path: '/api/visitors/anyone',
    init: { method: 'DELETE', headers: secret() },
    status: 405,
    code: 'method_not_allowed',
  },
];

describe('bad input', () => {
  it.each(CASES)('$name → $status $code', async ({ path = '/track/batch', init, status, code }) => {
    const res = await worker.call(path, init);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ ok: false, code, error: expect.any(String) });
  });

  it('refuses a streamed body without Content-Length once it passes the limit', async () => {
    // Exactly the limit in 64 KiB chunks, then 1 KiB more: the client has written (nearly) everything when
    // the Worker stops reading, so the early answer is not lost to a reset connection.
    const chunks = [...Array.from({ length: 8 }, () => new Uint8Array(64 * 1024).fill(32)), new Uint8Array(1024).fill(32)];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const res = await fetch(`${worker.url.href}track/batch`, {
      method: 'POST',
      headers: withKey,
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'payload_too_large' });
  });

  it('rejects bad events one by one: wrong types, deep props, injection text stored verbatim', async () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 10; i++) deep = { next: deep };
    const injection = "'); DROP TABLE events; --";
    const good = event({ visitor_id: injection, title: '<script>alert(1)</script>' });
    const events = [
      { ...event(), ts: 'yesterday' },
      { ...event(), seq: -1 },
      event({ props: { deep } }),
      'not an object',
      event({ ts: Date.now() + 60 * 60 * 1000 }),
      good,
    ];
    const res = await worker.call('/track/batch', batchInit(events));
    expect(res.status).toBe(200);
    expect(res.body.accepted).toEqual([good.event_id]);
    expect(res.body.rejected.map((r: { index: number }) => r.index)).toEqual([0, 1, 2, 3, 4]);
    for (const rejection of res.body.rejected) expect(rejection.reason).toEqual(expect.any(String));
    const stored = await worker.db
      .prepare('SELECT visitor_id FROM events WHERE event_id = ?')
      .bind(good.event_id)
      .first<{ visitor_id: string }>();
    expect(stored?.visitor_id).toBe(injection);
    const search = await worker.call(`/api/visitors?q=${encodeURIComponent(injection)}`, { headers: secret() });
    expect(search.body.visitors.map((v: { visitor_id: string }) => v.visitor_id)).toEqual([injection]);
  });

  it('lets any origin read an error answer, so the SDK sees why instead of a network error', async () => {
    const res = await worker.call('/track/batch', {
      method: 'POST',
      headers: { ...withKey, origin: 'https://evil.example' },
      body: envelope([event()]),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://evil.example');
  });

  it('answers a CORS preflight, then serves a good request on the same connection after all of the above', async () => {
    const pre = await worker.call('/track/batch', {
      method: 'OPTIONS',
      headers: {
        origin: SITE.website,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, x-trailmark-key',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-headers')).toContain('x-trailmark-key');
    const e = event();
    const ok = await worker.call('/track/batch', batchInit([e], { origin: SITE.website }));
    expect(ok.status).toBe(200);
    expect(ok.body.accepted).toEqual([e.event_id]);
  });

  it('keeps connections usable after refusing bodies it did not read (401, 413, 415), under concurrent clients', async () => {
    // Found by the contract suite: workerd reset a kept-alive connection whose body was left unread, so the
    // next request on it failed with ECONNRESET. Eight clients alternate a refused 300 KiB body and a small request.
    const big = 'x'.repeat(300 * 1024);
    const refused: Init[] = [
      { method: 'POST', headers: { ...json, 'x-trailmark-key': 'pk_nobody' }, body: big },
      { method: 'POST', headers: withKey, body: `{"events":["${'h'.repeat(600 * 1024)}"]}` },
      { method: 'POST', headers: { ...withKey, 'content-type': 'image/png' }, body: big },
    ];
    const errors: string[] = [];
    const statuses = new Set<number>();
    await Promise.all(
      Array.from({ length: 8 }, async (_, client) => {
        for (let round = 0; round < 15; round++) {
          for (const init of [
            refused[(client + round) % refused.length] as Init,
            { method: 'POST', headers: withKey, body: '{"events":[]}' },
          ]) {
            try {
              statuses.add((await worker.call('/track/batch', init)).status);
            } catch (error) {
              errors.push(String((error as Error & { cause?: { code?: string } }).cause?.code ?? error));
            }
          }
        }
      }),
    );
    expect(errors).toEqual([]);
    expect([...statuses].sort()).toEqual([400, 401, 413, 415]);
  });
});
