import { describe, expect, it } from 'vitest';
import { openStore, runRetention } from '../src/index.js';
import { makeEvent, post, read, start } from './helpers.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 22, 12, 0);

describe('retention', () => {
  it('deletes raw events after 30 days and rollups after 90, by default', async () => {
    const store = openStore({ memory: true });
    const ages = [1, 29, 31, 89, 91];
    store.insert(
      ages.map((days) => makeEvent({ ts: NOW - days * DAY, type: `age_${days}` })),
      { skewMs: 0, receivedAt: NOW, source: 'import' },
    );
    const result = await runRetention(store, NOW);
    expect(result.events).toBe(3);
    expect(Object.keys(store.typeCounts()).sort()).toEqual(['age_1', 'age_29']);
    const hours = store.rollups('demo', 0, NOW).map((row) => Object.keys(row.eventCounts)[0]);
    expect(hours).toEqual(['age_89', 'age_31', 'age_29', 'age_1']);
    expect(store.totalSessions('demo', 0, NOW - 90 * DAY)).toBe(0);
    store.close();
  });

  it('keeps an identity as long as the visits it joins, from the earliest identification still stored', async () => {
    const store = openStore({ memory: true });
    const identified = (visitor: string, days: number, user: string) =>
      makeEvent({ visitor_id: visitor, session_id: `${visitor}-${days}`, ts: NOW - days * DAY, user_id: user });
    // The laptop, identified 95 days ago, is identified again yesterday; the phone only 95 days ago; the tablet 60.
    store.insert(
      [identified('laptop', 95, 'u-1'), identified('laptop', 1, 'u-1'), identified('phone', 95, 'u-2'), identified('tablet', 60, 'u-3')],
      { skewMs: 0, receivedAt: NOW, source: 'import' },
    );
    await runRetention(store, NOW);
    const rows = store.visitRows({ sql: 'SELECT visitor_id, user_id, ts FROM visitor_users ORDER BY visitor_id', params: [] });
    expect(rows).toEqual([
      { visitor_id: 'laptop', user_id: 'u-1', ts: NOW - DAY },
      { visitor_id: 'tablet', user_id: 'u-3', ts: NOW - 60 * DAY },
    ]);
    store.close();
  });

  it('honours configured periods and deletes in chunks', async () => {
    const store = openStore({ memory: true });
    const old = Array.from({ length: 25 }, (_, seq) => makeEvent({ ts: NOW - 3 * DAY, seq, session_id: `s${seq}` }));
    store.insert([...old, makeEvent({ ts: NOW - DAY })], { skewMs: 0, receivedAt: NOW, source: 'import' });
    const result = await runRetention(store, NOW, { rawDays: 2, rollupDays: 2, chunk: 10 });
    expect(result.events).toBe(25);
    expect(store.typeCounts()).toEqual({ pageview: 1 });
    expect(store.rollups('demo', 0, NOW)).toHaveLength(1);
    store.close();
  });

  it('runs on the receiver’s injected clock, never as part of a request', async () => {
    let now = Date.now();
    const server = await start({ clock: () => now });
    try {
      await post(server.url, '/v1/batch', { events: [makeEvent({ ts: now })] });
      now += 31 * DAY;
      // A request after the period still sees the event: only the cleanup removes it.
      const before = (await (await read(server.url, '/api/analytics/track?hours=8000')).json()) as { count: number };
      expect(before.count).toBe(1);
      expect(await server.receiver.runRetention()).toEqual({ events: 1, rollups: 0 });
      const after = (await (await read(server.url, '/api/analytics/track?hours=8000')).json()) as { count: number };
      expect(after.count).toBe(0);
      const rollups = (await (await read(server.url, '/api/analytics/rollups?hours=8000')).json()) as { total_events: number };
      expect(rollups.total_events).toBe(1);
    } finally {
      await server.close();
    }
  });
});
