import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chdbAvailable, createNode, natsServerBinary, openChdbStore, openEventLog, startClickhouse, startNatsNode } from '../src/index.js';

const SITE = {
  id: 'check',
  writeKey: 'pk_check_write_0123456789',
  readKey: 'sk_check_read_0123456789',
  origins: ['https://check.example'],
};

// The SDK's check on a deployment of two ingest nodes and no loader running yet: what node A published is in the log
// only, and node B (which did not publish it, and whose ClickHouse does not hold it) still answers it as stored.
describe.skipIf(!natsServerBinary() || !chdbAvailable())("the SDK's check", () => {
  let nats: Awaited<ReturnType<typeof startNatsNode>>;
  let running: Awaited<ReturnType<typeof startClickhouse>>;
  let nodeB: ReturnType<typeof createNode>;
  let logB: Awaited<ReturnType<typeof openEventLog>>;
  const stream = `CHECK_${randomUUID().slice(0, 8).toUpperCase()}`;
  beforeAll(async () => {
    nats = await startNatsNode();
    running = await startClickhouse({
      sites: [SITE],
      store: openChdbStore(),
      log: { servers: [nats.url], stream },
      loaders: 0,
      say: () => undefined,
    });
    logB = await openEventLog({ servers: [nats.url], stream });
    nodeB = createNode({ sites: [SITE], store: running.store, log: logB, say: () => undefined });
  });
  afterAll(async () => {
    await logB?.close();
    await running?.close();
    await running?.store.close();
    await nats?.close();
  });

  const post = (node: { fetch(request: Request): Promise<Response> }, body: unknown) =>
    node.fetch(
      new Request(`http://node/v1/batch?key=${SITE.writeKey}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: SITE.origins[0] as string },
        body: JSON.stringify(body),
      }),
    );

  it('answers events still in the log, published by another node and not loaded yet, as stored', async () => {
    const now = Date.now();
    const ids = [randomUUID(), randomUUID()];
    const events = ids.map((event_id, i) => ({
      event_id,
      type: 'pageview',
      ts: now - 1000 + i,
      site_id: SITE.id,
      visitor_id: 'v1',
      session_id: 's1',
      seq: i + 1,
      url: 'https://check.example/',
      path: '/',
    }));
    const sent = await post(running.node, { v: 1, events });
    expect(((await sent.json()) as { accepted: string[] }).accepted).toEqual(ids);
    const [stored] = await running.store.query<{ n: string }>("SELECT count() AS n FROM events WHERE site_id = 'check'");
    expect(Number(stored?.n)).toBe(0);
    const missing = randomUUID();
    const answer = await post(nodeB, { v: 1, check: [ids[0]?.toUpperCase(), ids[1], missing] });
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { stored: string[] }).stored).toEqual([ids[0]?.toUpperCase(), ids[1]]);
  });
});
