import { afterEach, describe, expect, it } from 'vitest';
import type { RunningReceiver } from '../src/index.js';
import { TIMESTAMP_FORMS } from '../src/track-event.js';
import { makeEvent, post, read, start } from './helpers.js';

let server: RunningReceiver | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const HOUR = 3_600_000;
// A fixed clock half past an hour, so hour buckets are predictable.
const NOW = Date.UTC(2026, 10, 22, 12, 30);

interface TrackList {
  ok: boolean;
  count: number;
  total_in_range: number;
  events: Array<Record<string, unknown>>;
  next_cursor: string | null;
}

describe('POST /api/analytics/track', () => {
  it('stores one event and answers its event_id', async () => {
    server = await start();
    const response = await post(server.url, '/api/analytics/track', {
      event_type: 'tool_used',
      session_id: 'session_abc',
      timestamp: new Date().toISOString(),
      tool_name: 'Start/Sit',
      action: 'viewed',
      properties: { risk_mode: 'protect' },
      demo_mode: true,
    });
    const body = (await response.json()) as { ok: boolean; event_id: string };
    expect(response.status).toBe(200);
    expect(body.ok).toBe(true);
    expect(body.event_id).toMatch(/^[0-9a-f-]{36}$/);
    const list = (await (await read(server.url, '/api/analytics/track?hours=1')).json()) as TrackList;
    expect(list.events[0]).toMatchObject({
      event_id: body.event_id,
      event_type: 'tool_used',
      session_id: 'session_abc',
      tool_name: 'Start/Sit',
      action: 'viewed',
      demo_mode: true,
      properties: { risk_mode: 'protect', tool_name: 'Start/Sit', action: 'viewed', demo_mode: true },
      source: 'track',
    });
  });

  it('stores an array, answering event_ids in order and rejecting the bad ones by index', async () => {
    server = await start();
    const response = await post(server.url, '/api/analytics/track', [
      { event_type: 'tool_used', session_id: 's1' },
      { event_type: '9lives', session_id: 's1' },
      { event_type: 'risk_mode_changed', session_id: 's1', timestamp: 'not a date' },
      { event_type: 'faab_calculated', session_id: 's2' },
    ]);
    const body = (await response.json()) as { event_ids: string[]; rejected: Array<{ index: number; reason: string }> };
    expect(response.status).toBe(200);
    expect(body.event_ids).toHaveLength(2);
    expect(body.rejected.map((r) => r.index)).toEqual([1, 2]);
    expect(body.rejected[0]?.reason).toMatch(/^event_type:/);
    // Says what is accepted, not the native schema's "Expected number" (issue 14, defect 8).
    expect(body.rejected[1]?.reason).toBe(`timestamp: ${TIMESTAMP_FORMS}`);
  });

  it('refuses a null, a number or a list in the array on its own and stores the good elements (no 500)', async () => {
    server = await start();
    const good = { event_type: 'tool_used', session_id: 's-null' };
    const response = await post(server.url, '/api/analytics/track', [null, good, 7, [], good]);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { event_ids: string[]; rejected: Array<{ index: number; event_id: null; reason: string }> };
    expect(body.event_ids).toHaveLength(2);
    expect(body.rejected).toEqual([0, 2, 3].map((index) => ({ index, event_id: null, reason: 'an event must be a JSON object' })));
    const stored = (await (await read(server.url, '/api/analytics/track?event_type=tool_used')).json()) as TrackList;
    expect(stored.events.map((e) => e.session_id)).toEqual(['s-null', 's-null']);
    const only = await post(server.url, '/api/analytics/track', null);
    expect([only.status, ((await only.json()) as { code: string }).code]).toEqual([400, 'invalid_request']);
  });

  it('acknowledges a client event_id sent twice as the same event', async () => {
    server = await start();
    const event = { event_id: '0192d4e0-1111-4222-8333-444455556666', event_type: 'tool_used', session_id: 's1' };
    const first = (await (await post(server.url, '/api/analytics/track', event)).json()) as Record<string, unknown>;
    const second = (await (await post(server.url, '/api/analytics/track', event)).json()) as Record<string, unknown>;
    expect(first).toEqual({ ok: true, event_id: event.event_id, duplicate: false });
    expect(second).toEqual({ ok: true, event_id: event.event_id, duplicate: true });
  });

  it('refuses a single invalid event with 400 and the reason', async () => {
    server = await start();
    const response = await post(server.url, '/api/analytics/track', { event_type: 'tool_used' });
    const body = (await response.json()) as { code: string; error: string };
    expect(response.status).toBe(400);
    expect(body.code).toBe('invalid_request');
    expect(body.error).toMatch(/session_id/);
  });
});

describe('GET /api/analytics/track', () => {
  it('lists the events of the last hours, newest first, with total_in_range', async () => {
    server = await start({ clock: () => NOW });
    const events = [0, 1, 2, 30].map((hoursAgo, seq) => makeEvent({ ts: NOW - hoursAgo * HOUR - 1000, seq }));
    await post(server.url, '/v1/batch', { events: events.slice(0, 3) });
    // Stored (within the 7-day ingest bound) but outside hours=24.
    await post(server.url, '/v1/batch', { events: [events[3]] });
    const body = (await (await read(server.url, '/api/analytics/track?hours=24')).json()) as TrackList;
    expect(body.ok).toBe(true);
    expect(body.count).toBe(3);
    expect(body.total_in_range).toBe(3);
    expect(body.events.map((e) => e.event_id)).toEqual(events.slice(0, 3).map((e) => e.event_id));
    expect(body.events[0]?.timestamp).toBe(new Date(NOW - 1000).toISOString());
  });

  it('pages with limit and next_cursor without repeating or skipping', async () => {
    server = await start({ clock: () => NOW });
    const events = Array.from({ length: 7 }, (_, i) => makeEvent({ ts: NOW - i * 60_000, seq: i }));
    await post(server.url, '/v1/batch', { events });
    const seen: string[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null) {
      const body = (await (await read(server.url, `/api/analytics/track?hours=24&limit=3&cursor=${cursor}`)).json()) as TrackList;
      expect(body.total_in_range).toBe(7);
      seen.push(...body.events.map((e) => e.event_id as string));
      cursor = body.next_cursor;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(events.map((e) => e.event_id));
  });

  it('filters by event_type, total_in_range included', async () => {
    server = await start();
    await post(server.url, '/v1/batch', { events: [makeEvent(), makeEvent({ type: 'click' }), makeEvent({ type: 'click' })] });
    const body = (await (await read(server.url, '/api/analytics/track?event_type=click')).json()) as TrackList;
    expect(body.count).toBe(2);
    expect(body.total_in_range).toBe(2);
    expect(body.events.map((e) => e.event_type)).toEqual(['click', 'click']);
  });

  it('shows only the read key’s site', async () => {
    server = await start();
    await post(server.url, '/v1/batch', { events: [makeEvent()] });
    await post(server.url, '/v1/batch', { events: [makeEvent({ site_id: 'other' })] }, { key: 'pk_other' });
    const demo = (await (await read(server.url, '/api/analytics/track')).json()) as TrackList;
    const other = (await (await read(server.url, '/api/analytics/track', 'sk_other')).json()) as TrackList;
    expect(demo.events.map((e) => e.site_id)).toEqual(['demo']);
    expect(other.events.map((e) => e.site_id)).toEqual(['other']);
  });
});

describe('GET /api/analytics/rollups', () => {
  it('keeps hourly counts per type, unique sessions, totals and the props dimensions as events arrive', async () => {
    server = await start({ clock: () => NOW });
    const thisHour = NOW - 10 * 60_000;
    const lastHour = NOW - HOUR;
    await post(server.url, '/v1/batch', {
      events: [
        makeEvent({ ts: thisHour, session_id: 'a' }),
        makeEvent({ ts: thisHour, session_id: 'a', type: 'tool_used', props: { tool_name: 'FAAB', risk_mode: 'protect' } }),
        makeEvent({ ts: thisHour, session_id: 'b', type: 'tool_used', props: { tool_name: 'FAAB' } }),
        makeEvent({ ts: lastHour, session_id: 'a', type: 'tool_used', props: { tool_name: 'Decisions', risk_mode: 'chase' } }),
      ],
    });
    // A duplicate must not count twice.
    const again = (await (await read(server.url, '/_trailmark/events')).json()) as { events: unknown[] };
    await post(server.url, '/v1/batch', { events: again.events });
    const body = (await (await read(server.url, '/api/analytics/rollups?hours=168')).json()) as {
      ok: boolean;
      count: number;
      hours: number;
      total_events: number;
      total_sessions: number;
      rollups: Array<Record<string, unknown>>;
    };
    expect(body).toMatchObject({ ok: true, count: 2, hours: 168, total_events: 4, total_sessions: 2 });
    expect(body.rollups).toEqual([
      {
        hour: new Date(Date.UTC(2026, 10, 22, 11)).toISOString(),
        event_counts: { tool_used: 1 },
        tool_usage: { Decisions: 1 },
        risk_distribution: { chase: 1 },
        unique_sessions: 1,
        total_events: 1,
      },
      {
        hour: new Date(Date.UTC(2026, 10, 22, 12)).toISOString(),
        event_counts: { pageview: 1, tool_used: 2 },
        tool_usage: { FAAB: 2 },
        risk_distribution: { protect: 1 },
        unique_sessions: 2,
        total_events: 3,
      },
    ]);
  });

  it('counts a configured props dimension instead of the defaults', async () => {
    server = await start({ clock: () => NOW, rollupDimensions: { plans: 'plan', pages: 'path' } });
    await post(server.url, '/v1/batch', {
      events: [
        makeEvent({ ts: NOW, type: 'booking_created', props: { plan: 'pro' }, path: '/pricing' }),
        makeEvent({ ts: NOW, path: '/pricing' }),
      ],
    });
    const body = (await (await read(server.url, '/api/analytics/rollups?hours=1')).json()) as { rollups: Array<Record<string, unknown>> };
    expect(body.rollups[0]).toMatchObject({ plans: { pro: 1 }, pages: { '/pricing': 2 } });
    expect(body.rollups[0]).not.toHaveProperty('tool_usage');
  });

  it('limits the range to the asked hours', async () => {
    server = await start({ clock: () => NOW });
    await post(server.url, '/v1/batch', { events: [makeEvent({ ts: NOW - 5 * HOUR }), makeEvent({ ts: NOW })] });
    const body = (await (await read(server.url, '/api/analytics/rollups?hours=2')).json()) as { count: number; total_events: number };
    expect(body).toMatchObject({ count: 1, total_events: 1 });
  });
});
