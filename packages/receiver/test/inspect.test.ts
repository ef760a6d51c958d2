import { afterEach, describe, expect, it } from 'vitest';
import type { RunningReceiver } from '../src/index.js';
import { createRejectionLog } from '../src/rejection-log.js';
import { makeEvent, post, start } from './helpers.js';

let server: RunningReceiver | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('inspection endpoints (dev mode)', () => {
  it('lists stored events in full, filtered by type and session', async () => {
    server = await start();
    const a = makeEvent({ session_id: 'one' });
    const b = makeEvent({ session_id: 'one', type: 'click', props: { tag: 'a' } });
    const c = makeEvent({ session_id: 'two', type: 'click' });
    await post(server.url, '/v1/batch', { events: [a, b, c] });
    const all = (await (await fetch(`${server.url}/_trailmark/events`)).json()) as { ok: boolean; count: number; events: unknown[] };
    expect(all).toEqual({ ok: true, count: 3, events: [a, b, c] });
    const clicks = (await (await fetch(`${server.url}/_trailmark/events?type=click&session_id=one`)).json()) as { events: unknown[] };
    expect(clicks.events).toEqual([b]);
    const limited = (await (await fetch(`${server.url}/_trailmark/events?limit=1`)).json()) as { events: unknown[] };
    expect(limited.events).toEqual([a]);
  });

  it('waits for min matching events when asked, up to the timeout', async () => {
    server = await start();
    const url = server.url;
    const waiting = fetch(`${url}/_trailmark/events?type=click&min=2&timeout=5000`);
    setTimeout(() => {
      post(url, '/v1/batch', { events: [makeEvent({ type: 'click' }), makeEvent({ type: 'click' })] });
    }, 200);
    const body = (await (await waiting).json()) as { count: number };
    expect(body.count).toBe(2);
    const started = Date.now();
    const short = (await (await fetch(`${url}/_trailmark/events?type=none&min=1&timeout=300`)).json()) as { count: number };
    expect(short.count).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('resets events, rollups and rejections', async () => {
    server = await start();
    await post(server.url, '/v1/batch', { events: [makeEvent()] });
    await post(server.url, '/v1/batch', 'nope');
    const before = (await (await fetch(`${server.url}/_trailmark/stats`)).json()) as Record<string, unknown>;
    expect(before).toMatchObject({ ok: true, events: 1, by_type: { pageview: 1 }, rejections: 1, sites: ['demo', 'other'] });
    expect(await (await fetch(`${server.url}/_trailmark/reset`, { method: 'POST' })).json()).toEqual({ ok: true });
    const after = (await (await fetch(`${server.url}/_trailmark/stats`)).json()) as Record<string, unknown>;
    expect(after).toMatchObject({ events: 0, by_type: {}, rejections: 0 });
    const rollups = (await (
      await fetch(`${server.url}/api/analytics/rollups`, { headers: { authorization: 'Bearer sk_demo' } })
    ).json()) as {
      count: number;
    };
    expect(rollups.count).toBe(0);
  });

  it('does not exist without dev mode', async () => {
    server = await start({ dev: false });
    for (const path of ['/_trailmark/events', '/_trailmark/rejections', '/_trailmark/stats']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status).toBe(404);
    }
    expect((await fetch(`${server.url}/_trailmark/reset`, { method: 'POST' })).status).toBe(404);
  });

  it('keeps only the latest rejections in memory, however many arrive', () => {
    const log = createRejectionLog(100);
    for (let i = 0; i < 2500; i++) {
      log.add({
        at: '',
        kind: 'event',
        method: 'POST',
        path: '/v1/batch',
        status: 200,
        code: 'rejected',
        reason: `r${i}`,
        site_id: 'demo',
        origin: null,
      });
    }
    const listed = log.list(10_000);
    expect(listed).toHaveLength(100);
    expect(listed.at(-1)?.reason).toBe('r2499');
    expect(listed[0]?.reason).toBe('r2400');
    expect(log.total).toBe(2500);
  });
});
