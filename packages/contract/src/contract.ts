import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { MAX_REQUEST_BYTES } from '@trailmark/protocol';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Backend, OTHER, SITE } from './backends.js';
import { event, fullEvent, PROPS_BY_TYPE, payload } from './events.js';
import { labelOf, runHostile } from './hostile.js';
import { hostileRouteProblems, malformedProblems, startTrap, upgradingBatch } from './hostile-routes.js';
import { postRaw } from './http.js';
import { lateBodyExchange, rawExchange } from './raw-http.js';
import { deliverThroughTracker, trackOnPage } from './tracker.js';

const SEND = { unloading: false };

/**
 * The contract every Trailmark backend keeps, as one test table. `start` brings up a fresh backend;
 * each backend's test file calls this once (twice for Postgres: PGlite and a real server).
 */
export function defineContract(name: string, start: () => Promise<Backend>): void {
  describe(`contract: ${name}`, () => {
    let backend: Backend;
    let batchUrl: string;
    const adapter = (key: string = SITE.writeKey, headers?: Record<string, string>) =>
      backend.adapter({ endpoint: backend.endpoint, key, ...(headers ? { headers } : {}) });
    const storedCount = async (ids: readonly string[]) => {
      const stored = await backend.storedIds();
      return ids.map((id) => stored.filter((s) => s === id).length);
    };

    beforeAll(async () => {
      backend = await start();
      batchUrl = `${backend.endpoint}${backend.batchPath}`;
    });
    afterAll(async () => {
      await backend?.close();
    });

    test('answers health on /health and /healthz, and lists its routes, the stats contract among them, on GET /', async () => {
      for (const path of ['/health', '/healthz']) expect((await fetch(`${backend.endpoint}${path}`)).status, path).toBe(200);
      const index = await fetch(`${backend.endpoint}/`, { headers: { accept: 'application/json' } });
      expect(index.status).toBe(200);
      const { routes } = (await index.json()) as { routes: Record<string, string> };
      expect(Object.keys(routes)).toEqual(expect.arrayContaining(['POST /v1/batch', 'GET /v1/stats/:panel', 'GET /health']));
    });

    test('stores every event type with all its fields, and drops unknown fields', async () => {
      const session = `fields-${randomUUID()}`;
      const sent = Object.keys(PROPS_BY_TYPE).map((type, seq) => fullEvent(type, session, seq));
      const withExtra = { ...sent[0], not_in_the_schema: 'dropped' };
      const result = await adapter().send(payload([withExtra, ...sent.slice(1)]), SEND);
      expect(result).toEqual({ status: 'ok' });
      const stored = await backend.session(session);
      expect(stored).toHaveLength(sent.length);
      for (const original of sent) {
        const found = stored.find((row) => row.event_id === original.event_id);
        expect(found, `${original.type} stored`).toMatchObject(original as unknown as Record<string, unknown>);
      }
      expect(stored.find((row) => row.event_id === sent[0]?.event_id)).not.toHaveProperty('not_in_the_schema');
    });

    test('stores an e-mail address or card number in the page URL redacted, however the SDK sent it encoded', async () => {
      // What `location.href` holds after a form GET or a mail link: percent-encoded (`%40`), form-encoded (`+`),
      // encoded twice (a redirect's `next`), and in a path segment. A raw `+` may be a plus address's (`mail+ann@…`),
      // so the word before it goes with the address: redaction errs on the side of removing too much.
      const href = `${SITE.origin}/users/jane.doe%40example.com/orders?email=jane.doe%40example.com&card=4242424242424242&plus=jane%2Bnews%40example.com&q=mail+ann%40example.com&next=%2Fcart%3Fto%3Dbob%2540example.com`;
      // A clicked link's `href` prop is a URL too.
      const session = await trackOnPage(backend, href, { href: `${SITE.origin}/unsubscribe?u=ann.lee%40example.com` });
      const [stored] = await backend.session(session);
      expect(stored).toMatchObject({
        props: { href: `${SITE.origin}/unsubscribe?u=[redacted:email]` },
        url: `${SITE.origin}/users/[redacted:email]/orders?email=[redacted:email]&card=[redacted]&plus=[redacted:email]&q=[redacted:email]&next=%2Fcart%3Fto%3D[redacted:email]`,
        path: '/users/[redacted:email]/orders',
      });
      expect(JSON.stringify(stored)).not.toMatch(/jane|ann%40|ann.lee|bob|4242/);
    });

    test('stores a repeated event_id once, within a batch, across batches and in any letter case, and says so', async () => {
      const a = event();
      const b = event();
      const first = await postRaw(batchUrl, payload([a, a]).body, { key: SITE.writeKey });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ ok: true, accepted: [a.event_id], duplicates: [a.event_id], rejected: [] });
      const second = await postRaw(batchUrl, payload([a, b]).body, { key: SITE.writeKey });
      expect(second.body).toMatchObject({ ok: true, accepted: [b.event_id], duplicates: [a.event_id], rejected: [] });
      // UUIDs are case-insensitive (RFC 9562): another spelling of a stored id is the same event.
      const shouted = { ...b, event_id: b.event_id.toUpperCase() };
      const third = await postRaw(batchUrl, payload([shouted]).body, { key: SITE.writeKey });
      expect(third.body).toMatchObject({ ok: true, accepted: [], duplicates: [shouted.event_id], rejected: [] });
      // The adapter acknowledges a resend as ok: the SDK removes the events from its queue.
      expect(await adapter().send(payload([a, b]), SEND)).toEqual({ status: 'ok' });
      expect(await storedCount([a.event_id, b.event_id])).toEqual([1, 1]);
    });

    test("answers the SDK's check with the stored ids of the key's site, through the adapter and raw", async () => {
      const kept = event();
      const theirs = event({ site_id: OTHER.id });
      await adapter().send(payload([kept]), SEND);
      await backend.adapter({ endpoint: backend.endpoint, key: OTHER.writeKey }).send(payload([theirs]), SEND);
      const missing = event().event_id;
      const asked = [kept.event_id.toUpperCase(), missing, theirs.event_id, 'not-a-uuid'];
      expect(await adapter().confirm!(asked, {})).toEqual([kept.event_id.toUpperCase()]);
      const refused = await postRaw(batchUrl, JSON.stringify({ v: 1, check: [42] }), { key: SITE.writeKey });
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ ok: false, code: 'invalid_batch' });
      const unauthorised = await postRaw(batchUrl, JSON.stringify({ v: 1, check: [kept.event_id] }), { key: 'pk_nobody' });
      expect(unauthorised.status).toBe(401);
      expect(await storedCount([kept.event_id, missing])).toEqual([1, 0]);
    });

    test('reports each refused event through the adapter and stores the rest of the batch', async () => {
      const good = [event(), event()];
      const badType = event({ type: '1-not-a-type' });
      const foreign = event({ site_id: OTHER.id });
      const { ts: _dropped, ...noTs } = event();
      const batch = [good[0], badType, foreign, good[1], noTs];
      const result = await adapter().send(payload(batch), SEND);
      expect(result.status).toBe('ok');
      const rejected = result.status === 'ok' ? (result.rejected ?? []) : [];
      expect(rejected.map((r) => r.event_id)).toEqual([badType.event_id, foreign.event_id, noTs.event_id]);
      for (const r of rejected) expect(r.reason).toEqual(expect.any(String));
      const raw = await postRaw(batchUrl, payload([event(), badType]).body, { key: SITE.writeKey });
      expect(raw.body.rejected).toEqual([{ index: 1, event_id: badType.event_id, reason: expect.stringContaining('type') }]);
      expect(await storedCount([...good, badType, foreign, noTs].map((e) => e.event_id as string))).toEqual([1, 1, 0, 0, 0]);
    });

    test('refuses a missing or unknown key with 401, and the adapter drops the batch', async () => {
      const e = event();
      for (const key of [null, 'pk_unknown_key', '']) {
        const answer = await postRaw(batchUrl, payload([e]).body, { key });
        expect(answer.status, `key ${key}`).toBe(401);
        expect(answer.body).toMatchObject({ ok: false, code: 'unauthorized' });
      }
      expect(await adapter('pk_unknown_key').send(payload([e]), SEND)).toEqual({
        status: 'drop',
        reason: expect.stringMatching(/^http 401/),
      });
      expect(await storedCount([e.event_id])).toEqual([0]);
    });

    test("refuses, one by one, events written with another site's key", async () => {
      const e = event();
      const result = await adapter(OTHER.writeKey).send(payload([e]), SEND);
      expect(result).toEqual({ status: 'ok', rejected: [{ index: 0, event_id: e.event_id, reason: expect.stringContaining('site') }] });
      expect(await storedCount([e.event_id])).toEqual([0]);
    });

    test('refuses an Origin the site does not allow with 403, and answers allowed ones with CORS', async () => {
      const refused = event();
      const wrong = await postRaw(batchUrl, payload([refused]).body, { key: SITE.writeKey, headers: { origin: 'https://evil.example' } });
      expect(wrong.status).toBe(403);
      expect(wrong.body).toMatchObject({ ok: false, code: 'origin_not_allowed' });
      expect(await adapter(SITE.writeKey, { origin: OTHER.origin }).send(payload([refused]), SEND)).toEqual({
        status: 'drop',
        reason: expect.stringMatching(/^http 403/),
      });
      const allowed = event();
      const right = await postRaw(batchUrl, payload([allowed]).body, { key: SITE.writeKey, headers: { origin: SITE.origin } });
      expect(right.status).toBe(200);
      expect(right.headers.get('access-control-allow-origin')).toBe(SITE.origin);
      expect(await storedCount([refused.event_id, allowed.event_id])).toEqual([0, 1]);
    });

    test('refuses a body over 512 KiB or over 1000 events with 413, and the adapter splits', async () => {
      const big = event({ props: { blob: 'x'.repeat(1000) } });
      const huge = payload(Array.from({ length: 600 }, () => ({ ...big, event_id: randomUUID() })));
      expect(huge.bytes).toBeGreaterThan(MAX_REQUEST_BYTES);
      const declared = await postRaw(batchUrl, huge.body, { key: SITE.writeKey });
      expect(declared.status).toBe(413);
      expect(declared.body).toMatchObject({ ok: false, code: 'payload_too_large' });
      // Without Content-Length: the limit holds while the body streams in.
      const bytes = new TextEncoder().encode(huge.body);
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < bytes.length; at += 64 * 1024) controller.enqueue(bytes.slice(at, at + 64 * 1024));
          controller.close();
        },
      });
      const streamed = await postRaw(batchUrl, stream, { key: SITE.writeKey });
      expect(streamed.status).toBe(413);
      const many = await postRaw(batchUrl, payload(Array.from({ length: 1001 }, () => event())).body, { key: SITE.writeKey });
      expect(many.status).toBe(413);
      expect(await adapter().send(huge, SEND)).toEqual({ status: 'split' });
      expect(await storedCount([huge.events()[0]?.event_id as string])).toEqual([0]);
    });

    test('answers a 1.5 MB body with a 413 the client sees, whether declared or streamed, and the next request too', async () => {
      // Closing before reading it reset the connection under a client still sending: it got EPIPE, never the 413.
      const body = 'x'.repeat(1_500_000);
      for (let round = 0; round < 3; round++) {
        const declared = await postRaw(batchUrl, body, { key: SITE.writeKey });
        expect([declared.status, declared.body.code]).toEqual([413, 'payload_too_large']);
        const bytes = new TextEncoder().encode(body);
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            for (let at = 0; at < bytes.length; at += 64 * 1024) controller.enqueue(bytes.slice(at, at + 64 * 1024));
            controller.close();
          },
        });
        const streamed = await postRaw(batchUrl, stream, { key: SITE.writeKey });
        expect([streamed.status, streamed.body.code]).toEqual([413, 'payload_too_large']);
        const unknownKey = await postRaw(batchUrl, body, { key: 'pk_unknown_key' });
        expect(unknownKey.status).toBe(401);
        const next = await postRaw(batchUrl, payload([event()]).body, { key: SITE.writeKey });
        expect(next.status).toBe(200);
      }
      // A client still writing when the answer is ready: no reset under its writes, and the connection carries on.
      const late = await lateBodyExchange(backend.endpoint, `${backend.batchPath}?key=${SITE.writeKey}`, {
        total: 1_500_000,
        first: 600_000,
      });
      expect(late).toMatchObject({ reset: false, hung: false, statuses: [413, 404] });
    });

    test('answers malformed HTTP on every route with a 4xx (or a clean close), never a 5xx, a reset or a hang', async () => {
      const problems = await malformedProblems(backend.endpoint, [backend.batchPath, ...backend.routes]);
      expect(problems).toEqual([]);
    });

    test('fetches nothing but its own routes, and answers //host paths, upgrades and unserved methods with JSON, never a 5xx', async () => {
      const trap = await startTrap();
      try {
        const host = new URL(backend.endpoint).host;
        const health = backend.routes.find((route) => /health/.test(route)) ?? '/';
        const problems = await hostileRouteProblems(backend.endpoint, [backend.batchPath, ...backend.routes], trap.authority);
        // A batch asking to upgrade is the same batch: stored, and answered 200.
        const e = event();
        const upgraded = await rawExchange(backend.endpoint, upgradingBatch(backend.batchPath, host, payload([e]).body), health);
        expect(upgraded.statuses[0], upgraded.first).toBe(200);
        expect(await storedCount([e.event_id])).toEqual([1]);
        expect(problems).toEqual([]);
        expect(trap.received, 'requests that reached a host named in a path').toEqual([]);
      } finally {
        await trap.close();
      }
    });

    test('refuses the secret key in the URL with 403, whatever else the request carries', async () => {
      const read = `${backend.endpoint}/v1/stats/summary?key=${SITE.readKey}`;
      for (const headers of [{}, { authorization: `Bearer ${SITE.readKey}` }, { 'x-trailmark-key': SITE.writeKey }]) {
        const answer = await fetch(read, { headers });
        expect([answer.status, (await answer.json()).code], JSON.stringify(headers)).toEqual([403, 'forbidden']);
      }
      const e = event();
      const write = await postRaw(batchUrl, payload([e]).body, { key: SITE.readKey, headers: { 'x-trailmark-key': SITE.writeKey } });
      expect([write.status, write.body.code]).toEqual([403, 'forbidden']);
      expect(await storedCount([e.event_id])).toEqual([0]);
    });

    test('answers every read of a burst of 200 at once', async () => {
      const answers = await Promise.all(
        Array.from({ length: 200 }, async () => {
          try {
            const response = await fetch(`${backend.endpoint}/v1/stats/summary`, { headers: { authorization: `Bearer ${SITE.readKey}` } });
            const body = await response.text();
            return response.status === 200 ? '200' : `${response.status} ${body.slice(0, 120)}`;
          } catch (error) {
            const cause = (error as Error & { cause?: { code?: string } }).cause;
            return `network error ${cause?.code ?? (error as Error).message}`;
          }
        }),
      );
      const counts: Record<string, number> = {};
      for (const answer of answers) counts[answer] = (counts[answer] ?? 0) + 1;
      expect(counts).toEqual({ 200: 200 });
    });

    test('cuts off 100 clients trickling a body at 1 B/s within 15 s with a JSON 408, upgrade headers or not, and keeps serving', async () => {
      const url = new URL(batchUrl);
      const started = Date.now();
      const closed = await Promise.all(
        Array.from(
          { length: 100 },
          (_, index) =>
            new Promise<{ ms: number; answer: string }>((resolve) => {
              const socket = connect(Number(url.port), url.hostname);
              let timer: NodeJS.Timeout | undefined;
              let answer = '';
              const done = () => {
                clearInterval(timer);
                socket.destroy();
                resolve({ ms: Date.now() - started, answer });
              };
              // Half ask to upgrade: that must not take them out of the timeouts (a tunnel no timeout covered held them).
              const upgrade = index % 2 === 1 ? 'Connection: Upgrade\r\nUpgrade: websocket\r\n' : '';
              socket.on('connect', () => {
                socket.write(
                  `POST ${url.pathname}?key=${SITE.writeKey} HTTP/1.1\r\nHost: ${url.host}\r\n${upgrade}Content-Type: text/plain\r\nContent-Length: 1000\r\n\r\n`,
                );
                timer = setInterval(() => socket.write('x', () => undefined), 1000);
              });
              socket.on('data', (chunk) => {
                answer += String(chunk);
              });
              socket.on('close', done);
              socket.on('error', done);
              // A bound on the test itself: a socket still open at 25 s has been held.
              setTimeout(done, 25_000);
            }),
        ),
      );
      expect(Math.max(...closed.map((one) => one.ms))).toBeLessThan(15_000);
      const answers = closed.map(({ answer }) => {
        const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
        const json = /\r\n\r\n(\{.*\})$/s.exec(answer)?.[1];
        return `${status} ${json ? (JSON.parse(json) as { code?: string }).code : 'not JSON'}`;
      });
      expect(new Set(answers)).toEqual(new Set(['408 invalid_request']));
      expect(await backend.health()).toBe(200);
    }, 40_000);

    test('refuses unreadable bodies with 400 and other media types with 415', async () => {
      const cases: Array<[BodyInit, string, number, string]> = [
        ['{"events":[', 'text/plain', 400, 'malformed_json'],
        [new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'text/plain', 400, 'invalid_utf8'],
        ['{"events":"none"}', 'application/json', 400, 'invalid_batch'],
        ['{"events":[]}', 'application/json', 400, 'invalid_batch'],
        ['[1,2,3]', 'application/json', 400, 'invalid_batch'],
        [payload([event()]).body, 'image/png', 415, 'unsupported_media_type'],
      ];
      for (const [body, type, status, code] of cases) {
        const answer = await postRaw(batchUrl, body, { key: SITE.writeKey, headers: { 'content-type': type } });
        expect([answer.status, answer.body?.code], `${type} ${String(body).slice(0, 30)}`).toEqual([status, code]);
      }
    });

    test('answers 429 and 503 with Retry-After, which the adapter maps to a retry after that long', async () => {
      for (const refusal of await backend.refusals()) {
        try {
          const e = event();
          await refusal.trip();
          const raw = await postRaw(`${refusal.endpoint}${backend.batchPath}`, payload([e]).body, { key: SITE.writeKey });
          expect(raw.status).toBe(refusal.status);
          expect(raw.body).toMatchObject({ ok: false, code: refusal.status === 429 ? 'rate_limited' : 'unavailable' });
          const seconds = Number(raw.headers.get('retry-after'));
          expect(seconds).toBeGreaterThan(0);
          await refusal.trip();
          const result = await backend.adapter({ endpoint: refusal.endpoint, key: SITE.writeKey }).send(payload([e]), SEND);
          expect(result).toEqual({ status: 'retry', afterMs: seconds * 1000, reason: `http ${refusal.status}` });
          await refusal.heal();
          expect(await storedCount([e.event_id])).toEqual([0]);
        } finally {
          await refusal.heal();
          await refusal.close();
        }
      }
    });

    test('a tracker with a memory queue honours Retry-After: it waits that long, then delivers once', async () => {
      for (const refusal of await backend.refusals()) {
        try {
          const run = await deliverThroughTracker(backend, refusal);
          const [first, second] = run.attempts;
          expect(first?.result).toMatchObject({ status: 'retry', afterMs: expect.any(Number) });
          const afterMs = first?.result.status === 'retry' ? (first.result.afterMs ?? 0) : 0;
          expect(afterMs).toBeGreaterThanOrEqual(1000);
          expect(run.attempts.map((attempt) => attempt.result)).toEqual([expect.objectContaining({ status: 'retry' }), { status: 'ok' }]);
          // Timers may fire a few ms early against Date.now(); the SDK's own backoff floor makes it later, never earlier.
          expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(afterMs - 20);
          expect(await storedCount(run.ids)).toEqual(run.ids.map(() => 1));
        } finally {
          await refusal.heal();
          await refusal.close();
        }
      }
    });

    test('survives 10,000 hostile requests: no 5xx, still healthy, every good event stored exactly once', async () => {
      const before = new Set(await backend.storedIds());
      const report = await runHostile(batchUrl, { seed: 20261129, requests: 10_000, concurrency: 8, routes: backend.routes });
      console.log(
        `[contract] hostile run, ${name}: ${report.requests} requests in ${(report.durationMs / 1000).toFixed(1)} s; statuses ${JSON.stringify(
          report.statuses,
        )}; ${report.goodEvents.size} good events; network errors ${report.networkErrors}; kinds ${JSON.stringify(
          report.kinds,
        )}; routes ${JSON.stringify(report.routes)}`,
      );
      expect(report.requests).toBeGreaterThanOrEqual(10_000);
      expect(report.failures, 'answers ≥ 500, network errors and good batches not answered 200').toEqual([]);
      expect(Object.keys(report.statuses).filter((status) => Number(status) >= 500)).toEqual([]);
      expect(await backend.health()).toBe(200);
      const after = (await backend.storedIds()).filter((id) => !before.has(id));
      const counts = new Map<string, number>();
      for (const id of after) counts.set(id, (counts.get(id) ?? 0) + 1);
      expect([...counts.values()].filter((n) => n > 1)).toEqual([]);
      const missing = [...report.goodEvents].filter((id) => !counts.has(id));
      const unexpected = [...counts.keys()]
        .filter((id) => !report.goodEvents.has(id) && !report.maybeEvents.has(id))
        .map((id) => `${id} (${labelOf(id) ?? 'unlabelled'})`);
      expect({ missing: missing.length, unexpected: unexpected.slice(0, 5) }).toEqual({ missing: 0, unexpected: [] });
    }, 240_000);
  });
}
