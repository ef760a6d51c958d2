import type { TrailmarkEvent } from '@trailmark/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../src/index.js';
import { makeEvent, post, read, start } from './helpers.js';

// Issue 27: with the public write key, 80,000 events made one stats request hold the receiver's event loop for 52 s,
// its health check with it. The live panel's raw read now yields between pages and stays within a budget; the other
// panels read per-visit rollups, and the visits of their range are counted against the same budget first.
const running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const one of running.splice(0)) await one.close();
});

/** A receiver whose store holds `visits` one-pageview visits of site demo in the last four minutes (the live window). */
async function seeded(visits: number, options: Parameters<typeof start>[0] = {}) {
  const store = openStore({ memory: true });
  const now = Date.now();
  const events: TrailmarkEvent[] = [];
  for (let i = 0; i < visits; i++) {
    events.push(
      makeEvent({ ts: now - 240_000 + Math.floor((i * 240_000) / visits), session_id: `s${i}`, visitor_id: `v${i}`, path: `/p${i % 100}` }),
    );
  }
  for (let at = 0; at < events.length; at += 5000) {
    store.insert(events.slice(at, at + 5000), { skewMs: 0, receivedAt: now, source: 'batch' });
  }
  const receiver = await start({ store, ...options });
  running.push(receiver);
  return receiver;
}

describe('a stats request on the receiver', () => {
  it('leaves health and ingest answering while it reads 60,000 events', async () => {
    const { url } = await seeded(60_000);
    let statsDone = false;
    // The live panel reads the raw events of the last five minutes: all 60,000.
    const stats = read(url, '/v1/stats/live').then(async (response) => {
      statsDone = true;
      return [response.status, (await response.json()).ok];
    });
    const healthWhileReading: number[] = [];
    let ingested: number | undefined;
    const ingest = post(url, '/v1/batch', { v: 1, events: [makeEvent()] }).then((response) => {
      if (!statsDone) ingested = response.status;
    });
    while (!statsDone) {
      const response = await fetch(`${url}/healthz`);
      await response.arrayBuffer();
      if (!statsDone) healthWhileReading.push(response.status);
    }
    await ingest;
    expect(await stats).toEqual([200, true]);
    // Held for the whole request (the old synchronous read and compute), none of these would answer before it.
    expect(healthWhileReading.length, 'health checks answered while the stats request ran').toBeGreaterThanOrEqual(3);
    expect(new Set(healthWhileReading)).toEqual(new Set([200]));
    expect(ingested, 'a batch answered while the stats request ran').toBe(200);
  }, 60_000);

  it('answers 503 with Retry-After once it has read more events than its budget', async () => {
    const { url } = await seeded(3000, { statsBudget: { maxEvents: 2000 } });
    const response = await read(url, '/v1/stats/live');
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await response.json()).toMatchObject({ ok: false, code: 'unavailable', error: expect.stringMatching(/more than 2000 events/) });
  });

  it('answers a rollup panel 503 with Retry-After when its range holds more visits than the budget', async () => {
    const { url } = await seeded(3000, { statsBudget: { maxEvents: 2000 } });
    for (const panel of ['summary', 'breakdown?dimension=page', 'revenue']) {
      const response = await read(url, `/v1/stats/${panel}`);
      expect(response.status, panel).toBe(503);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await response.json()).toMatchObject({
        ok: false,
        code: 'unavailable',
        error: expect.stringMatching(/more than 2000 visits/),
      });
    }
    // Within the budget the same panel answers.
    const { url: within } = await seeded(1500, { statsBudget: { maxEvents: 2000 } });
    const response = await read(within, '/v1/stats/summary');
    expect(response.status).toBe(200);
    expect((await response.json()).data.visits).toBe(1500);
  });

  it('answers 503 with Retry-After once its time budget is spent', async () => {
    const { url } = await seeded(12_000, { statsBudget: { timeMs: 0 } });
    const response = await read(url, '/v1/stats/live');
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await response.json()).toMatchObject({ ok: false, code: 'unavailable', error: expect.stringMatching(/budget/) });
  });
});
