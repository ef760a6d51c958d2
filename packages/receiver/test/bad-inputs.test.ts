import { connect } from 'node:net';
import { MAX_REQUEST_BYTES } from '@trailmark/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningReceiver } from '../src/index.js';
import { makeEvent, start } from './helpers.js';

let server: RunningReceiver;
beforeAll(async () => {
  server = await start();
});
afterAll(async () => {
  await server.close();
});

const good = () => JSON.stringify({ events: [makeEvent()] });
const bytes = (...values: number[]) => new Uint8Array(values);

interface Case {
  name: string;
  method?: string;
  path?: string;
  /** Query key (`?key=`); null for none. */
  key?: string | null;
  headers?: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer> | (() => string) | null;
  status: number;
  code: string;
}

// Every hostile or malformed request gets a 4xx JSON error naming the problem: never a 5xx.
const cases: Case[] = [
  { name: 'malformed JSON', body: '{"events": [', status: 400, code: 'malformed_json' },
  { name: 'truncated batch', body: () => good().slice(0, 60), status: 400, code: 'malformed_json' },
  { name: 'not JSON at all', body: 'hello', status: 400, code: 'malformed_json' },
  { name: 'empty body', body: '', status: 400, code: 'invalid_request' },
  { name: 'no body', body: null, status: 400, code: 'invalid_request' },
  { name: 'invalid UTF-8', body: bytes(0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d), status: 400, code: 'invalid_utf8' },
  { name: 'lone UTF-8 continuation byte in a string', body: bytes(0x5b, 0x22, 0x80, 0x22, 0x5d), status: 400, code: 'invalid_utf8' },
  { name: 'a number instead of a batch', body: '42', status: 400, code: 'invalid_batch' },
  { name: 'null instead of a batch', body: 'null', status: 400, code: 'invalid_batch' },
  { name: 'an array instead of a batch', body: '[1,2,3]', status: 400, code: 'invalid_batch' },
  { name: 'events of the wrong type', body: '{"events":"all of them"}', status: 400, code: 'invalid_batch' },
  { name: 'empty events', body: '{"events":[]}', status: 400, code: 'invalid_batch' },
  { name: 'wrong protocol version', body: () => JSON.stringify({ v: 2, events: [makeEvent()] }), status: 400, code: 'invalid_batch' },
  {
    name: 'sent_at of the wrong type',
    body: () => JSON.stringify({ sent_at: 'now', events: [makeEvent()] }),
    status: 400,
    code: 'invalid_batch',
  },
  {
    name: 'deeply nested body',
    body: () => `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
    status: 400,
    code: 'invalid_batch',
  },
  {
    name: 'huge body (over the request limit)',
    body: () => JSON.stringify({ events: [makeEvent({ props: { pad: 'x'.repeat(MAX_REQUEST_BYTES) } })] }),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'more events than a batch may hold',
    body: () => JSON.stringify({ events: Array.from({ length: 1001 }, () => ({})) }),
    status: 413,
    code: 'payload_too_large',
  },
  { name: 'XML content type', headers: { 'content-type': 'application/xml' }, body: good, status: 415, code: 'unsupported_media_type' },
  {
    name: 'form content type',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: good,
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'multipart content type',
    headers: { 'content-type': 'multipart/form-data; boundary=x' },
    body: good,
    status: 415,
    code: 'unsupported_media_type',
  },
  { name: 'missing key', key: null, body: good, status: 401, code: 'unauthorized' },
  { name: 'unknown key', key: 'pk_nobody', body: good, status: 401, code: 'unauthorized' },
  { name: 'SQL injection as the key', key: "pk_demo' OR '1'='1", body: good, status: 401, code: 'unauthorized' },
  {
    name: 'malformed Authorization header',
    key: null,
    headers: { authorization: 'Basic cGtfZGVtbzo=' },
    body: good,
    status: 401,
    code: 'unauthorized',
  },
  { name: 'wrong origin', headers: { origin: 'https://evil.example' }, body: good, status: 403, code: 'origin_not_allowed' },
  { name: 'origin null (sandboxed frame)', headers: { origin: 'null' }, body: good, status: 403, code: 'origin_not_allowed' },
  {
    name: 'another site’s origin with this key',
    headers: { origin: 'https://other.example' },
    body: good,
    status: 403,
    code: 'origin_not_allowed',
  },
  { name: 'GET on the ingest endpoint', method: 'GET', body: null, status: 405, code: 'method_not_allowed' },
  { name: 'unknown path', path: '/v2/batch', body: good, status: 404, code: 'not_found' },
  { name: 'path traversal', path: '/..%2f..%2fetc%2fpasswd', body: null, method: 'GET', status: 404, code: 'not_found' },
  {
    name: 'preflight from a wrong origin',
    method: 'OPTIONS',
    key: null,
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    body: null,
    status: 403,
    code: 'origin_not_allowed',
  },
  // Read endpoints.
  {
    name: 'write key on a read endpoint',
    method: 'GET',
    path: '/api/analytics/track',
    key: 'pk_demo',
    body: null,
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'write key on the rollups',
    method: 'GET',
    path: '/api/analytics/rollups',
    key: 'pk_demo',
    body: null,
    status: 403,
    code: 'forbidden',
  },
  {
    name: 'no key on a read endpoint',
    method: 'GET',
    path: '/api/analytics/track',
    key: null,
    body: null,
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'hours not a number',
    method: 'GET',
    path: '/api/analytics/track?hours=abc',
    key: 'sk_demo',
    body: null,
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'negative hours',
    method: 'GET',
    path: '/api/analytics/rollups?hours=-5',
    key: 'sk_demo',
    body: null,
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'limit of zero',
    method: 'GET',
    path: '/api/analytics/track?limit=0',
    key: 'sk_demo',
    body: null,
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'forged cursor',
    method: 'GET',
    path: "/api/analytics/track?cursor=' OR 1=1 --",
    key: 'sk_demo',
    body: null,
    status: 400,
    code: 'invalid_request',
  },
  // The analytics-track API's writes.
  { name: 'track: malformed JSON', path: '/api/analytics/track', body: '{"event_type":', status: 400, code: 'malformed_json' },
  {
    name: 'track: wrong types',
    path: '/api/analytics/track',
    body: '{"event_type":5,"session_id":[]}',
    status: 400,
    code: 'invalid_request',
  },
  { name: 'track: empty array', path: '/api/analytics/track', body: '[]', status: 400, code: 'invalid_request' },
  { name: 'track: only bad events', path: '/api/analytics/track', body: '[{"event_type":"x"},7]', status: 400, code: 'invalid_batch' },
  { name: 'track: no key', path: '/api/analytics/track', key: null, body: '{}', status: 401, code: 'unauthorized' },
];

describe('bad input', () => {
  it.each(cases)('$name → $status $code', async (c) => {
    const key = c.key === undefined ? 'pk_demo' : c.key;
    const path = c.path ?? '/v1/batch';
    const sep = path.includes('?') ? '&' : '?';
    const url = `${server.url}${path}${key ? `${sep}key=${encodeURIComponent(key)}` : ''}`;
    const body = typeof c.body === 'function' ? c.body() : c.body;
    const headers: Record<string, string> = { 'content-type': 'text/plain', ...c.headers };
    if (key?.startsWith('sk_')) headers.authorization = `Bearer ${key}`;
    const response = await fetch(key?.startsWith('sk_') ? `${server.url}${path}` : url, {
      method: c.method ?? 'POST',
      headers,
      ...(body === null || body === undefined ? {} : { body }),
    });
    expect(response.status).toBe(c.status);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const answer = (await response.json()) as { ok: boolean; code: string; error: string };
    expect(answer.ok).toBe(false);
    expect(answer.code).toBe(c.code);
    expect(answer.error.length).toBeGreaterThan(5);
  });

  it('answers 413 to a streamed body over the limit that declares no length', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 12) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await fetch(`${server.url}/v1/batch?key=pk_demo`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(((await response.json()) as { code: string }).code).toBe('payload_too_large');
  });

  it.each([
    ['garbage instead of HTTP', 'HELLO THERE\r\n\r\n', 400],
    ['headers over 16 KiB', `GET /healthz HTTP/1.1\r\nhost: x\r\nx-pad: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
  ])('answers %s that Node’s parser refuses with a JSON error', async (_name, raw, status) => {
    const { port } = new URL(server.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write(raw));
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString();
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ ok: false, code: 'invalid_request' });
  });

  it('stores hostile strings verbatim as data and keeps the database intact', async () => {
    const hostile = makeEvent({
      path: "/'; DROP TABLE events; --",
      title: '<script>alert(1)</script>',
      user_id: 'Robert"); DELETE FROM rollups; --',
      props: { q: "' OR 1=1 --", html: '<img src=x onerror=alert(1)>', __proto__: { polluted: true } } as never,
    });
    const body = JSON.stringify({ events: [hostile] }).replace('"props":{', '"props":{"__proto__":{"polluted":true},');
    const response = await fetch(`${server.url}/v1/batch?key=pk_demo`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
    expect(response.status).toBe(200);
    const listed = (await (await fetch(`${server.url}/_trailmark/events?event_id=${hostile.event_id}`)).json()) as {
      events: Array<Record<string, unknown>>;
    };
    expect(listed.events[0]).toMatchObject({ path: hostile.path, title: hostile.title, user_id: hostile.user_id });
    expect(JSON.stringify(listed.events[0]?.props)).toContain('"__proto__":{"polluted":true}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it('rejects events with wrong types, injection in the type, deep props or oversize fields one by one', async () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 10; i++) deep = { deeper: deep };
    const events = [
      makeEvent({ type: "pageview'; DROP TABLE events;--" }),
      { ...makeEvent(), ts: '2026-01-01' },
      { ...makeEvent(), seq: -1 },
      makeEvent({ props: deep as never }),
      makeEvent({ url: `https://x.example/${'a'.repeat(3000)}` }),
      makeEvent({ ts: Date.now() + 86_400_000 }),
      makeEvent({ ts: Date.now() - 30 * 86_400_000 }),
      makeEvent(),
    ];
    const response = await fetch(`${server.url}/v1/batch?key=pk_demo`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ events }),
    });
    const body = (await response.json()) as { accepted: string[]; rejected: Array<{ index: number; reason: string }> };
    expect(response.status).toBe(200);
    expect(body.accepted).toEqual([events[7]?.event_id]);
    expect(body.rejected.map((r) => [r.index, r.reason.split(':')[0]])).toEqual([
      [0, 'type'],
      [1, 'ts'],
      [2, 'seq'],
      [3, 'props'],
      [4, 'url'],
      [5, 'ts'],
      [6, 'ts'],
    ]);
  });

  it('records refused requests and events for inspection', async () => {
    await fetch(`${server.url}/_trailmark/reset`, { method: 'POST' });
    await fetch(`${server.url}/v1/batch?key=pk_nobody`, { method: 'POST', body: good(), headers: { 'content-type': 'text/plain' } });
    const list = (await (await fetch(`${server.url}/_trailmark/rejections`)).json()) as { rejections: Array<Record<string, unknown>> };
    expect(list.rejections).toEqual([
      expect.objectContaining({
        kind: 'request',
        method: 'POST',
        path: '/v1/batch',
        status: 401,
        code: 'unauthorized',
        reason: 'the key is not known',
      }),
    ]);
  });
});
