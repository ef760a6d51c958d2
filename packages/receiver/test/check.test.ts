import { MAX_CHECK_IDS } from '@trailmark/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningReceiver } from '../src/index.js';
import { makeEvent, post, start } from './helpers.js';

let server: RunningReceiver;
beforeEach(async () => {
  server = await start();
});
afterEach(async () => {
  await server.close();
});

describe('POST /v1/batch with a check (which of these events are stored?)', () => {
  it("answers the stored ids among those asked, in the client's spelling, and only the key's site's", async () => {
    const kept = makeEvent();
    const theirs = makeEvent({ site_id: 'other' });
    await post(server.url, '/v1/batch', { events: [kept] });
    await post(server.url, '/v1/batch', { events: [theirs] }, { key: 'pk_other' });
    const missing = makeEvent().event_id;
    const response = await post(server.url, '/v1/batch', { v: 1, check: [kept.event_id.toUpperCase(), missing, theirs.event_id] });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, stored: [kept.event_id.toUpperCase()], accepted: [], duplicates: [], rejected: [] });
  });

  it('refuses a check that is not a list of event ids, or too long, with a reason, and stores nothing', async () => {
    const cases: Array<[unknown, number, RegExp]> = [
      [{ check: 'x' }, 400, /check must be an array/],
      [{ check: [1] }, 400, /check\.0: must be an event id/],
      [{ check: ["'; DROP TABLE events; --"] }, 400, /must be an event id/],
      [{ v: 2, check: [] }, 400, /version/],
      [{ check: Array.from({ length: MAX_CHECK_IDS + 1 }, () => makeEvent().event_id) }, 413, /at most 500/],
    ];
    for (const [body, status, error] of cases) {
      const response = await post(server.url, '/v1/batch', body);
      expect(response.status).toBe(status);
      expect(((await response.json()) as { error: string }).error).toMatch(error);
    }
    expect(await (await post(server.url, '/v1/batch', { check: [] })).json()).toMatchObject({ ok: true, stored: [] });
  });

  it('needs the write key like a batch', async () => {
    const response = await post(server.url, '/v1/batch', { check: [] }, { key: null });
    expect(response.status).toBe(401);
  });
});
