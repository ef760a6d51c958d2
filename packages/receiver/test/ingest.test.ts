import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningReceiver } from '../src/index.js';
import { makeEvent, ORIGIN, post, read, start } from './helpers.js';

let server: RunningReceiver;
beforeEach(async () => {
  server = await start();
});
afterEach(async () => {
  await server.close();
});

async function stored(query = '') {
  const response = await fetch(`${server.url}/_trailmark/events${query}`);
  return ((await response.json()) as { events: Array<{ event_id: string }> }).events;
}

describe('POST /v1/batch', () => {
  it('stores a password sent in a form_submit as [redacted] (the protocol admission path), and so answers it', async () => {
    const form = makeEvent({
      type: 'form_submit',
      props: { form_id: 'login', values: { email: 'bob@example.com', password: 'hunter2', plan: 'pro' } },
    });
    expect((await post(server.url, '/v1/batch', { events: [form] })).status).toBe(200);
    const row = server.receiver.store.listEvents({
      siteId: 'demo',
      type: 'form_submit',
      fromTs: 0,
      toTs: Date.now() + 60_000,
      limit: 10,
      order: 'newest',
    });
    expect(row.events[0]?.event.props).toEqual({
      form_id: 'login',
      values: { email: '[redacted:email]', password: '[redacted]', plan: 'pro' },
    });
    const answer = (await (await read(server.url, '/api/analytics/track?event_type=form_submit')).json()) as {
      events: Array<{ properties: unknown }>;
    };
    expect(JSON.stringify(answer.events)).not.toContain('hunter2');
    expect(answer.events[0]?.properties).toMatchObject({ values: { password: '[redacted]' } });
  });

  it('stores a text/plain batch and lists every id as accepted', async () => {
    const events = [makeEvent(), makeEvent({ type: 'click', seq: 2 })];
    const response = await post(server.url, '/v1/batch', { v: 1, sdk: 'trailmark/0.1.0', sent_at: Date.now(), events });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, accepted: events.map((e) => e.event_id), duplicates: [], rejected: [] });
    expect((await stored()).map((e) => e.event_id)).toEqual(events.map((e) => e.event_id));
  });

  it('accepts application/json and a key in X-Trailmark-Key or Authorization: Bearer', async () => {
    const viaHeader = await post(
      server.url,
      '/v1/batch',
      { events: [makeEvent()] },
      {
        key: null,
        headers: { 'content-type': 'application/json', 'x-trailmark-key': 'pk_demo' },
      },
    );
    const viaBearer = await post(
      server.url,
      '/v1/batch',
      { events: [makeEvent()] },
      {
        key: null,
        headers: { 'content-type': 'application/json; charset=utf-8', authorization: 'Bearer pk_demo' },
      },
    );
    expect([viaHeader.status, viaBearer.status]).toEqual([200, 200]);
    expect(await stored()).toHaveLength(2);
  });

  it('acknowledges a repeated event_id as a duplicate and stores it once', async () => {
    const event = makeEvent();
    await post(server.url, '/v1/batch', { events: [event] });
    const again = await post(server.url, '/v1/batch', { events: [event, event] });
    expect(await again.json()).toEqual({ ok: true, accepted: [], duplicates: [event.event_id, event.event_id], rejected: [] });
    expect(await stored()).toHaveLength(1);
  });

  it('takes an event_id in another letter case for the same event (UUIDs are case-insensitive)', async () => {
    const event = makeEvent();
    const upper = { ...event, event_id: event.event_id.toUpperCase() };
    expect(await (await post(server.url, '/v1/batch', { events: [upper, event] })).json()).toEqual({
      ok: true,
      accepted: [upper.event_id],
      duplicates: [event.event_id],
      rejected: [],
    });
    const again = await post(server.url, '/v1/batch', { events: [event] });
    expect(await again.json()).toMatchObject({ accepted: [], duplicates: [event.event_id] });
    expect((await stored()).map((e) => e.event_id)).toEqual([event.event_id.toLowerCase()]);
  });

  it('stores the good events of a batch and rejects each bad one with its index and reason', async () => {
    const good = makeEvent();
    const foreign = makeEvent({ site_id: 'other' });
    const response = await post(server.url, '/v1/batch', { events: [good, { event_id: 'nope', type: 'x' }, foreign, 'text'] });
    const body = (await response.json()) as {
      accepted: string[];
      rejected: Array<{ index: number; event_id: string | null; reason: string }>;
    };
    expect(response.status).toBe(200);
    expect(body.accepted).toEqual([good.event_id]);
    expect(body.rejected.map((r) => r.index)).toEqual([1, 2, 3]);
    expect(body.rejected[0]?.reason).toMatch(/event_id: must be a UUID/);
    expect(body.rejected[1]).toEqual({ index: 2, event_id: foreign.event_id, reason: 'site_id: must be "demo", the site of this key' });
    expect(body.rejected[2]?.reason).toBe('an event must be a JSON object');
    expect((await stored()).map((e) => e.event_id)).toEqual([good.event_id]);
  });

  it('drops unknown fields and redacts personal data in free text before storing', async () => {
    const event = {
      ...makeEvent({ url: 'http://127.0.0.1:8080/?email=ann@example.com', props: { note: 'card 4111 1111 1111 1111' } }),
      extra: 'x',
    };
    await post(server.url, '/v1/batch', { events: [event] });
    const [saved] = (await stored()) as unknown as Array<Record<string, unknown>>;
    expect(saved).not.toHaveProperty('extra');
    expect(saved?.url).toBe('http://127.0.0.1:8080/?email=[redacted:email]');
    expect(saved?.props).toEqual({ note: 'card [redacted:card]' });
  });

  it('corrects client clock skew from sent_at', async () => {
    const now = Date.now();
    const event = makeEvent({ ts: now - 3_600_000 });
    await post(server.url, '/v1/batch', { sent_at: now - 3_600_000, events: [event] });
    const response = await fetch(`${server.url}/api/analytics/track?hours=1`, { headers: { authorization: 'Bearer sk_demo' } });
    const body = (await response.json()) as { events: Array<{ timestamp: string }> };
    expect(Math.abs(Date.parse(body.events[0]?.timestamp ?? '') - now)).toBeLessThan(5000);
  });

  it('answers an allowed origin with CORS headers and its preflight with 204', async () => {
    const response = await post(server.url, '/v1/batch', { events: [makeEvent()] }, { headers: { origin: ORIGIN } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const preflight = await fetch(`${server.url}/v1/batch`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('lets any origin send with corsAny', async () => {
    await server.close();
    server = await start({ corsAny: true });
    const response = await post(server.url, '/v1/batch', { events: [makeEvent()] }, { headers: { origin: 'https://anywhere.example' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://anywhere.example');
  });

  it('answers GET /healthz', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: true });
  });
});
