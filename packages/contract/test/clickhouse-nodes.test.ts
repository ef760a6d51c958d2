import {
  type ChStore,
  chdbAvailable,
  migrate,
  type NatsNode,
  natsServerBinary,
  openChdbStore,
  type RunningClickhouse,
  startClickhouse,
  startNatsNode,
} from '@trailmark/clickhouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OTHER, SITE } from '../src/backends.js';
import { event, payload } from '../src/events.js';
import { runHostile } from '../src/hostile.js';
import { hostileRouteProblems, malformedProblems, startTrap, upgradingBatch } from '../src/hostile-routes.js';
import { rawExchange } from '../src/raw-http.js';

// The ClickHouse backend as it is deployed past one machine: ingest nodes (the log, no loader), loaders (no HTTP)
// and read nodes (ClickHouse only, no log), each its own server. The contract suite runs on a node that does all
// three; here each kind of node gets the hostile route cases of issue 27 on its own routes, and the ingest node a
// share of the hostile run. (One process: chDB binds one data directory per process, as a ClickHouse server would
// be shared.)

const INGEST_ROUTES = ['/v1/batch', '/v1/stats/summary', '/v1/events', '/health', '/', '/no/such/route'];
const READ_ROUTES = [
  '/v1/stats/summary',
  '/v1/stats/live',
  '/v1/events',
  '/v1/sessions/active',
  '/health',
  '/',
  '/v1/batch',
  '/no/such/route',
];

describe.skipIf(!chdbAvailable() || !natsServerBinary())('clickhouse nodes deployed apart: hostile routes', () => {
  let nats: NatsNode;
  let store: ChStore;
  let ingest: RunningClickhouse;
  let loader: RunningClickhouse;
  let reader: RunningClickhouse;

  beforeAll(async () => {
    nats = await startNatsNode();
    store = openChdbStore();
    await migrate(store);
    const sites = [SITE, OTHER].map(({ id, writeKey, readKey, origin }) => ({ id, writeKey, readKey, origins: [origin] }));
    const common = { sites, store, migrate: false, retryAfterSeconds: 1, say: () => undefined };
    ingest = await startClickhouse({ ...common, log: { servers: [nats.url] }, loaders: 0 });
    loader = await startClickhouse({ ...common, log: { servers: [nats.url], ackWaitMs: 5000 }, http: false, loader: { lingerMs: 10 } });
    reader = await startClickhouse(common);
  }, 60_000);
  afterAll(async () => {
    for (const node of [reader, loader, ingest]) await node?.close().catch(() => undefined);
    await store?.close();
    await nats?.close();
  });

  it('answers malformed HTTP, //host paths, upgrades and unserved methods on every route of both nodes with JSON, never a 5xx', async () => {
    const trap = await startTrap();
    try {
      for (const [name, node, routes] of [
        ['ingest node', ingest, INGEST_ROUTES],
        ['read node', reader, READ_ROUTES],
      ] as const) {
        expect({ name, problems: await malformedProblems(node.url, routes) }).toEqual({ name, problems: [] });
        expect({ name, problems: await hostileRouteProblems(node.url, routes, trap.authority) }).toEqual({ name, problems: [] });
      }
      expect(trap.received, 'requests that reached a host named in a path').toEqual([]);
      // The read node does not ingest: a batch is a JSON 404, not a 5xx.
      const refused = await fetch(`${reader.url}/v1/batch?key=${SITE.writeKey}`, { method: 'POST', body: payload([event()]).body });
      expect([refused.status, ((await refused.json()) as { code: string }).code]).toEqual([404, 'not_found']);
      // A batch asking to upgrade is the same batch at the ingest node: answered 200, loaded, and read at the read node.
      const e = event();
      const host = new URL(ingest.url).host;
      const upgraded = await rawExchange(ingest.url, upgradingBatch('/v1/batch', host, payload([e]).body), '/health');
      expect(upgraded.statuses[0], upgraded.first).toBe(200);
      await loader.settle();
      const read = await fetch(`${reader.url}/v1/events?session_id=${e.session_id}`, {
        headers: { authorization: `Bearer ${SITE.readKey}` },
      });
      expect(((await read.json()) as { data: { events: Array<{ event_id: string }> } }).data.events.map((x) => x.event_id)).toEqual([
        e.event_id,
      ]);
    } finally {
      await trap.close();
    }
  }, 120_000);

  it('survives 300 hostile requests at the ingest node and its routes: no 5xx, every good event loaded once', async () => {
    const report = await runHostile(`${ingest.url}/v1/batch`, { seed: 20261207, requests: 300, concurrency: 8, routes: INGEST_ROUTES });
    expect(report.failures, 'answers ≥ 500, network errors and good batches not answered 200').toEqual([]);
    expect(Object.keys(report.statuses).filter((status) => Number(status) >= 500)).toEqual([]);
    expect([(await fetch(`${ingest.url}/health`)).status, (await fetch(`${reader.url}/health`)).status]).toEqual([200, 200]);
    await loader.settle();
    const rows = await store.query<{ id: string; n: string }>(
      'SELECT toString(event_id) AS id, count() AS n FROM events FINAL WHERE site_id = {site:String} GROUP BY id',
      { site: SITE.id },
    );
    const counts = new Map(rows.map((row) => [row.id, Number(row.n)]));
    expect([...report.goodEvents].filter((id) => counts.get(id) !== 1)).toEqual([]);
  }, 120_000);
});
