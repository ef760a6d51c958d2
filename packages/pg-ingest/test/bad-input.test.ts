import { MAX_BATCH_EVENTS, MAX_REQUEST_BYTES } from '@trailmark/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ingest } from '../src/app.js';
import { BACKENDS, createTestDb, event, OTHER_SITE, SITE, type TestDb, testIngest } from './helpers.js';

type Case = {
  name: string;
  status: number;
  code: string;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  /** A function for bodies that can be read once (streams): each backend's run gets its own. */
  body?: BodyInit | (() => BodyInit);
};

const ok = () => JSON.stringify({ events: [event()] });
const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const write = `/v1/batch?key=${SITE.writeKey}`;
/** The secret read key travels in a header only (a URL lands in logs and Referer headers). */
const READ = { authorization: `Bearer ${SITE.readKey}` };

// Every bad request, with the status and JSON `code` the protocol gives it. None may reach the database.
const CASES: Case[] = [
  { name: 'malformed JSON', status: 400, code: 'malformed_json', body: '{"events": [' + "{'single': 'quotes'}]}" },
  { name: 'truncated JSON', status: 400, code: 'malformed_json', body: ok().slice(0, 40) },
  { name: 'invalid UTF-8', status: 400, code: 'invalid_utf8', body: new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]) },
  { name: 'empty body', status: 400, code: 'invalid_request', body: '' },
  { name: 'JSON null', status: 400, code: 'invalid_batch', body: 'null' },
  { name: 'a bare array', status: 400, code: 'invalid_batch', body: '[]' },
  { name: 'a string', status: 400, code: 'invalid_batch', body: '"events"' },
  { name: 'events of the wrong type', status: 400, code: 'invalid_batch', body: '{"events": "many"}' },
  { name: 'no events', status: 400, code: 'invalid_batch', body: '{"events": []}' },
  { name: 'protocol version 2', status: 400, code: 'invalid_batch', body: JSON.stringify({ v: 2, events: [event()] }) },
  { name: 'sent_at as a string', status: 400, code: 'invalid_batch', body: JSON.stringify({ sent_at: 'now', events: [event()] }) },
  { name: 'deeply nested body', status: 400, code: 'invalid_batch', body: deep(5000) },
  {
    name: 'huge body (declared)',
    status: 413,
    code: 'payload_too_large',
    headers: { 'content-length': String(MAX_REQUEST_BYTES + 1) },
    body: 'x'.repeat(MAX_REQUEST_BYTES + 1),
  },
  { name: 'huge body (streamed)', status: 413, code: 'payload_too_large', body: () => stream(MAX_REQUEST_BYTES + 10_000) },
  {
    name: 'too many events',
    status: 413,
    code: 'payload_too_large',
    body: JSON.stringify({ events: Array.from({ length: MAX_BATCH_EVENTS + 1 }, () => ({})) }),
  },
  { name: 'wrong content-type', status: 415, code: 'unsupported_media_type', headers: { 'content-type': 'application/xml' }, body: ok() },
  { name: 'no key', status: 401, code: 'unauthorized', path: '/v1/batch', body: ok() },
  { name: 'read key in the URL', status: 403, code: 'forbidden', method: 'GET', path: `/v1/pages/top?key=${SITE.readKey}` },
  { name: 'read key on the write endpoint', status: 403, code: 'forbidden', path: '/v1/batch', headers: READ, body: ok() },
  { name: 'unknown key', status: 401, code: 'unauthorized', path: '/v1/batch?key=pk_nobody', body: ok() },
  {
    name: 'SQL injection in the key',
    status: 401,
    code: 'unauthorized',
    path: `/v1/batch?key=${encodeURIComponent("' OR 1=1 --")}`,
    body: ok(),
  },
  { name: 'wrong origin', status: 403, code: 'origin_not_allowed', headers: { origin: 'https://evil.example' }, body: ok() },
  {
    name: "another site's origin",
    status: 403,
    code: 'origin_not_allowed',
    headers: { origin: OTHER_SITE.origins[0] as string },
    body: ok(),
  },
  { name: 'GET on the batch endpoint', status: 405, code: 'method_not_allowed', method: 'GET' },
  { name: 'unknown endpoint', status: 404, code: 'not_found', path: '/v2/everything', method: 'GET' },
  { name: 'write key on a read endpoint', status: 403, code: 'forbidden', method: 'GET', path: `/v1/pages/top?key=${SITE.writeKey}` },
  {
    name: 'write key as bearer on a read endpoint',
    status: 403,
    code: 'forbidden',
    method: 'GET',
    path: '/v1/metrics/daily',
    headers: { authorization: `Bearer ${SITE.writeKey}` },
  },
  { name: 'no key on a read endpoint', status: 401, code: 'unauthorized', method: 'GET', path: '/v1/sources' },
  { name: 'days not a number', status: 400, code: 'invalid_request', method: 'GET', headers: READ, path: `/v1/pages/top?days=1;DROP` },
  { name: 'days out of range', status: 400, code: 'invalid_request', method: 'GET', headers: READ, path: `/v1/campaigns?days=100000` },
  {
    name: 'impossible date',
    status: 400,
    code: 'invalid_request',
    method: 'GET',
    headers: READ,
    path: `/v1/metrics/daily?from=2026-02-30`,
  },
  { name: 'year zero', status: 400, code: 'invalid_request', method: 'GET', headers: READ, path: `/v1/metrics/daily?from=0000-01-01` },
  {
    name: 'reversed date range',
    status: 400,
    code: 'invalid_request',
    method: 'GET',
    headers: READ,
    path: `/v1/metrics/daily?from=2026-03-02&to=2026-03-01`,
  },
  { name: 'funnel without pages', status: 400, code: 'invalid_request', method: 'GET', headers: READ, path: `/v1/funnel` },
  {
    name: 'NUL in a funnel page',
    status: 400,
    code: 'invalid_request',
    method: 'GET',
    headers: READ,
    path: `/v1/funnel?interest=%00&form=/x`,
  },
];

function stream(bytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      const chunk = new Uint8Array(Math.min(64 * 1024, bytes - sent)).fill(0x20);
      sent += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
}

// Events the envelope carries but that are refused one by one: the request is 200 and lists them as rejected.
const BAD_EVENTS: Array<[string, unknown, RegExp]> = [
  ['not an object', 42, /must be a JSON object/],
  ['event_id not a UUID', { ...event(), event_id: "'; DROP TABLE events_log; --" }, /event_id/],
  ['ts as a string', { ...event(), ts: '2026-01-01' }, /ts/],
  ['ts far in the future', { ...event(), ts: Date.now() + 86_400_000 }, /future/],
  ['ts older than 7 days', { ...event(), ts: Date.now() - 8 * 86_400_000 }, /older/],
  ['seq negative', { ...event(), seq: -1 }, /seq/],
  ['url too long', { ...event(), url: `https://x.example/${'a'.repeat(3000)}` }, /url/],
  ['props nested too deep', { ...event(), props: { a: { b: { c: { d: { e: 1 } } } } } }, /props/],
  ['props as an array', { ...event(), props: [1, 2] }, /props/],
  ['site of another key', { ...event(), site_id: OTHER_SITE.id }, /site_id/],
  ['NUL in a string', { ...event(), title: 'a\u0000b' }, /U\+0000/],
  ['NUL in a prop key', { ...event(), props: { 'k\u0000': 1 } }, /U\+0000/],
  ['NUL deep in props', { ...event(), props: { a: { b: ['x', 'y\u0000'] } } }, /U\+0000/],
  // Found by the contract suite's hostile run: PostgreSQL's JSONB refused these and the batch got a 503.
  ['a lone high surrogate in a string', { ...event(), title: 'lone \ud800 surrogate' }, /surrogate/],
  ['a lone low surrogate in a prop key', { ...event(), props: { 'k\udc00': 1 } }, /surrogate/],
  ['a lone surrogate deep in props', { ...event(), props: { a: { b: ['x', 'y\ud83d'] } } }, /surrogate/],
  ['dpr out of range', { ...event(), dpr: 1e9 }, /dpr/],
];

describe.each(BACKENDS)('bad input on %s', (kind) => {
  let t: TestDb;
  let ingest: Ingest;
  beforeAll(async () => {
    t = await createTestDb(kind);
    ingest = await testIngest(t.db);
  });
  afterAll(async () => {
    await ingest?.close();
    await t?.drop();
  });

  it.each(CASES)('$name → $status $code', async ({ status, code, method = 'POST', path = write, headers = {}, body }) => {
    const init: RequestInit & { duplex?: 'half' } = {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body !== undefined ? { body: typeof body === 'function' ? body() : body, duplex: 'half' } : {}),
    };
    const response = await ingest.fetch(new Request(`http://127.0.0.1${path}`, init), { remoteAddress: '127.0.0.1' });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const answer = (await response.json()) as { ok: boolean; code: string; error: string };
    expect(answer).toMatchObject({ ok: false, code });
    expect(answer.error.length).toBeGreaterThan(0);
    const [row] = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events_log');
    expect(row?.n).toBe(0);
  });

  it.each(BAD_EVENTS)('refuses one event (%s) and stores its good batch-mates', async (_name, bad, reason) => {
    const good = event();
    const response = await ingest.fetch(
      new Request(`http://127.0.0.1${write}`, { method: 'POST', body: JSON.stringify({ events: [good, bad] }) }),
    );
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { accepted: string[]; rejected: Array<{ index: number; reason: string }> };
    expect(answer.accepted).toEqual([good.event_id]);
    expect(answer.rejected).toHaveLength(1);
    expect(answer.rejected[0]?.index).toBe(1);
    expect(answer.rejected[0]?.reason).toMatch(reason);
  });

  it('stores injection strings verbatim as data', async () => {
    const nasty = "Robert'); DROP TABLE events_log; -- \\ $1 %s {{x}} <script>alert(1)</script>";
    const e = event({ title: nasty, path: `/${nasty}`, session_id: "s'1", props: { "k'ey": nasty } });
    const response = await ingest.fetch(new Request(`http://127.0.0.1${write}`, { method: 'POST', body: JSON.stringify({ events: [e] }) }));
    expect(await response.json()).toMatchObject({ accepted: [e.event_id] });
    const [row] = await t.db.query<{ title: string; session_id: string }>(
      "SELECT raw_event_data->>'title' AS title, session_id FROM events_log WHERE event_id = $1",
      [e.event_id],
    );
    expect(row).toEqual({ title: nasty, session_id: "s'1" });
  });

  it('stores a well-formed surrogate pair (an emoji) as it is', async () => {
    const e = event({ title: 'launch 🚀 day', props: { '😀': 'ok' } });
    const response = await ingest.fetch(new Request(`http://127.0.0.1${write}`, { method: 'POST', body: JSON.stringify({ events: [e] }) }));
    expect(await response.json()).toMatchObject({ accepted: [e.event_id], rejected: [] });
  });
});
