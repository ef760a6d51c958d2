import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateVisits, requestsOf } from '../scripts/generate-visits.mjs';
import {
  type ChStore,
  chdbAvailable,
  encodeMessage,
  loadBatch,
  type NatsNode,
  natsServerBinary,
  openChdbStore,
  type RunningClickhouse,
  startClickhouse,
  startNatsNode,
} from '../src/index.js';

// Issue 27 on ClickHouse: a public write key chooses how many rows a range holds. Each stats query runs under
// ClickHouse's own limits (max_execution_time, max_rows_to_read, max_memory_usage) and waits for one of a few
// places; past them the answer is 503 with Retry-After. chDB runs in this process but off its event loop (libuv's
// threads), and a query without parameters is not in chDB's one line of parameterized queries: the read node's
// health check answers while stats queries run, the ingest node's POST is published and loaded.

const SITE = { id: 'budget', writeKey: 'pk_budget_test', readKey: 'sk_budget_test', origins: [] };
const EVENTS = 20_000;
const PANELS = ['revenue', 'goal_props?goal=signup&prop=plan', 'scroll', 'completeness', 'breakdown?by=page', 'summary?bots=include'];

const stats = (url: string, panel: string) =>
  fetch(`${url}/v1/stats/${panel}${panel.includes('?') ? '&' : '?'}from=${Date.now() - 8 * 86_400_000}`, {
    headers: { authorization: `Bearer ${SITE.readKey}` },
  });

/** A response's status and body, and when its body had arrived. */
async function answered(response: Response) {
  const body = await response.text();
  return { status: response.status, body, at: performance.now() };
}

describe.skipIf(!chdbAvailable() || !natsServerBinary())('stats requests on ClickHouse within their budget', () => {
  let nats: NatsNode;
  let store: ChStore;
  let ingest: RunningClickhouse;
  const readers: RunningClickhouse[] = [];
  /** A read node (no log: as deployed apart from the ingest nodes) on the seeded store, with these budget options. */
  const reader = async (statsBudget: Parameters<typeof startClickhouse>[0]['statsBudget'] = {}) => {
    const node = await startClickhouse({ sites: [SITE], store, migrate: false, statsBudget, say: () => undefined });
    readers.push(node);
    return node.url;
  };

  beforeAll(async () => {
    nats = await startNatsNode();
    store = openChdbStore();
    // An ingest node with its loader, on the store the read nodes read.
    ingest = await startClickhouse({ sites: [SITE], store, log: { servers: [nats.url] }, loader: { lingerMs: 10 }, say: () => undefined });
    // 20,000 events of the stats generator over a week, loaded as the loader loads them (about 5,000 visits).
    const requests = requestsOf(generateVisits({ count: EVENTS, now: Date.now(), days: 7, site: SITE.id, seed: 27 }), 500);
    const messages = requests.map((request, index) => ({
      seq: index + 1,
      data: encodeMessage({ v: 1, site: SITE.id, skewMs: 0, browser: 'Chrome', os: 'Windows', device: 'desktop', events: request.events }),
    }));
    for (let at = 0; at < messages.length; at += 40) await loadBatch(store, messages.slice(at, at + 40));
  }, 120_000);
  afterAll(async () => {
    for (const node of readers.splice(0)) await node.close().catch(() => undefined);
    await ingest?.close().catch(() => undefined);
    await store?.close();
    await nats?.close();
  });

  it('answers health and an ingest POST, and loads it, while a burst of heavy stats requests runs', async () => {
    const url = await reader();
    const started = performance.now();
    let lastStats = 0;
    // Eight rounds of the heavy panels: since the reports read visit rows (migration 07) three rounds were over in a
    // few hundred ms, too short a burst to tell an answer given beside it from one given after it on a loaded machine.
    const burst = Promise.all(
      Array.from({ length: 8 }, () => PANELS)
        .flat()
        .map(async (panel) => {
          const response = await stats(url, panel);
          const body = (await response.json()) as { ok: boolean };
          lastStats = Math.max(lastStats, performance.now());
          return { panel, status: response.status, ok: body.ok, retryAfter: response.headers.get('retry-after') };
        }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    const asked = performance.now();
    const event = {
      event_id: randomUUID(),
      type: 'pageview',
      ts: Date.now(),
      site_id: SITE.id,
      visitor_id: 'v-during-burst',
      session_id: 's-during-burst',
      seq: 1,
      url: 'https://shop.example/during',
      path: '/during',
    };
    const [readHealth, ingestHealth, post] = await Promise.all([
      fetch(`${url}/health`).then(answered),
      fetch(`${ingest.url}/health`).then(answered),
      fetch(`${ingest.url}/v1/batch?key=${SITE.writeKey}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ v: 1, events: [event] }),
      }).then(answered),
    ]);
    const answers = await burst;
    expect([readHealth.status, ingestHealth.status, post.status]).toEqual([200, 200, 200]);
    expect(JSON.parse(post.body)).toMatchObject({ accepted: [event.event_id], rejected: [] });
    for (const answer of answers) {
      if (answer.status === 503) expect(Number(answer.retryAfter), answer.panel).toBeGreaterThan(0);
      else expect([answer.panel, answer.status, answer.ok]).toEqual([answer.panel, 200, true]);
    }
    expect(answers.filter((answer) => answer.status === 200).length).toBeGreaterThan(0);
    // Both health checks and the POST were answered while the burst still ran, in a fraction of its time.
    const burstMs = lastStats - started;
    const waited = Math.max(readHealth.at, ingestHealth.at, post.at) - asked;
    for (const [name, at] of [
      ['read node health', readHealth.at],
      ['ingest node health', ingestHealth.at],
      ['ingest POST', post.at],
    ] as const)
      expect(at, `${name} answered before the last stats request`).toBeLessThan(lastStats);
    expect(waited, `answered in ${Math.round(waited)} ms of a ${Math.round(burstMs)} ms burst`).toBeLessThan(burstMs / 2);
    // The loader's queries waited their turn behind at most one stats query: the event is loaded.
    await ingest.settle();
    const [row] = await store.query<{ n: string }>(
      `SELECT count() AS n FROM events WHERE site_id = {site:String} AND session_id = 's-during-burst'`,
      {
        site: SITE.id,
      },
    );
    expect(Number(row?.n)).toBe(1);
  }, 120_000);

  it("answers chDB's queries without parameters (the read node's health check) while a long parameterized one runs", async () => {
    let longDone = 0;
    // About a second or more of one thread's work, bound to a parameter as every stats query is.
    const long = store
      .query('SELECT count() AS n FROM numbers({n:UInt64}) WHERE sipHash64(number) % 7 = 3 SETTINGS max_threads = 1', { n: 10_000_000 })
      .then(() => {
        longDone = performance.now();
      });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await store.query('SELECT 1');
    const healthDone = performance.now();
    await long;
    expect(healthDone, 'SELECT 1 answered before the long query ended').toBeLessThan(longDone);
  });

  it('refuses a request past its rows or its time with 503 and Retry-After, and answers one within them', async () => {
    const refusals = [
      [await reader({ maxRows: 1000 }), /over its 1000 rows \(TOO_MANY_ROWS/],
      [await reader({ timeMs: 1 }), /over its 1 ms budget \(TIMEOUT_EXCEEDED/],
    ] as const;
    for (const [url, reason] of refusals) {
      for (const panel of ['summary', 'breakdown?by=page', 'revenue']) {
        const response = await stats(url, panel);
        expect(response.status, panel).toBe(503);
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(await response.json()).toMatchObject({ ok: false, code: 'unavailable', error: expect.stringMatching(reason) });
      }
    }
    // A budget above what the range holds: the same panel is answered.
    const response = await stats(await reader({ maxRows: 10_000_000 }), 'summary?bots=include');
    expect(response.status).toBe(200);
    expect(((await response.json()) as { data: { visits: number } }).data.visits).toBeGreaterThan(4000);
  }, 60_000);
});
