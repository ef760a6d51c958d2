import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChStore, chdbAvailable, createNode, encodeMessage, loadBatch, migrate, openChdbStore } from '../src/index.js';

const SITE = {
  id: 'reads',
  writeKey: 'pk_reads_write_0123456789',
  readKey: 'sk_reads_read_0123456789',
  origins: ['https://reads.example'],
};

describe.skipIf(!chdbAvailable())('read routes beside the stats panels', () => {
  let store: ChStore;
  let node: ReturnType<typeof createNode>;
  const now = Date.now();
  const session = `s-${randomUUID().slice(0, 8)}`;
  const ids = Array.from({ length: 5 }, () => randomUUID()).sort();
  beforeAll(async () => {
    store = openChdbStore();
    await migrate(store);
    // Five events of one visit, the last three within the live window; loaded as a loader loads them.
    const events = ids.map((event_id, i) => ({
      event_id,
      type: i === 2 ? 'click' : 'pageview',
      ts: now - (4 - i) * 120_000,
      site_id: SITE.id,
      visitor_id: 'v1',
      session_id: session,
      seq: i + 1,
      url: `https://reads.example/p${i}`,
      path: `/p${i}`,
    }));
    await loadBatch(store, [{ seq: 1, data: encodeMessage({ v: 1, site: SITE.id, skewMs: 0, browser: 'Firefox', os: 'Linux', events }) }]);
    node = createNode({ sites: [SITE], store, clock: () => now, say: () => undefined });
  });
  afterAll(async () => {
    await store?.close();
  });

  const get = async (path: string, key: string | null = SITE.readKey) => {
    const response = await node.fetch(new Request(`http://node${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} }));
    return {
      status: response.status,
      headers: response.headers,
      // biome-ignore lint/suspicious/noExplicitAny: each test reads the shape of its own route's data
      body: (await response.json()) as { data?: any; error?: string; code?: string },
    };
  };

  it('exports the stored events oldest first, a page at a time, with the cursor of the next page', async () => {
    const first = await get('/v1/events?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.data.events.map((event: { event_id: string }) => event.event_id)).toEqual(ids.slice(0, 2));
    expect(first.body.data.events[0]).toMatchObject({ session_id: session, type: 'pageview', server_ts: now - 4 * 120_000 });
    const pages = [first.body.data.events];
    let next = first.body.data.next as string | null;
    while (next) {
      const page = await get(`/v1/events?limit=2&after=${next}`);
      pages.push(page.body.data.events);
      next = page.body.data.next;
    }
    expect(pages.flat().map((event: { event_id: string }) => event.event_id)).toEqual(ids);
    const clicks = await get(`/v1/events?type=click&session_id=${session}`);
    expect(clicks.body.data).toEqual({ events: [expect.objectContaining({ event_id: ids[2], type: 'click' })], next: null });
  });

  it('lists the visits active in the last five minutes', async () => {
    const { status, body } = await get('/v1/sessions/active');
    expect(status).toBe(200);
    expect(body.data).toEqual({
      window_s: 300,
      sessions: [
        expect.objectContaining({
          session_id: session,
          visitor_id: 'v1',
          started_at: now - 4 * 120_000,
          last_event_at: now,
          events: 3,
          pageviews: 4,
          entry_page: '/p0',
          exit_page: '/p4',
        }),
      ],
    });
  });

  it('takes the secret read key only, as a header, and refuses bad parameters with a 400 and a reason', async () => {
    for (const path of ['/v1/events', '/v1/sessions/active']) {
      expect((await get(path, null)).status).toBe(401);
      expect((await get(path, SITE.writeKey)).status).toBe(403);
      const inUrl = await get(`${path}?key=${SITE.readKey}`, SITE.readKey);
      expect([inUrl.status, inUrl.body.code]).toEqual([403, 'forbidden']);
      const bad = await get(`${path}?limit=0`);
      expect(bad.status).toBe(400);
      expect(typeof bad.body.error).toBe('string');
    }
    for (const query of ['after=nonsense', 'since=-1', `type=${'t'.repeat(300)}`, 'visitor_id=%01']) {
      const bad = await get(`/v1/events?${query}`);
      expect({ query, status: bad.status, error: typeof bad.body.error }).toEqual({ query, status: 400, error: 'string' });
    }
  });

  it('answers 503 with Retry-After when ClickHouse fails', async () => {
    const failing: ChStore = { ...store, query: () => Promise.reject(new Error('down')) };
    const down = createNode({ sites: [SITE], store: failing, clock: () => now, say: () => undefined });
    for (const path of ['/v1/events', '/v1/sessions/active', '/v1/stats/scroll']) {
      const response = await down.fetch(new Request(`http://node${path}`, { headers: { authorization: `Bearer ${SITE.readKey}` } }));
      expect([path, response.status, response.headers.get('retry-after')]).toEqual([path, 503, '5']);
    }
  });
});
