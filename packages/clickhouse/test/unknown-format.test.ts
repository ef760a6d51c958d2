import type { JsMsg } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateVisits } from '../scripts/generate-visits.mjs';
import {
  type ChStore,
  chdbAvailable,
  decodeMessage,
  type EventLog,
  encodeMessage,
  loadBatch,
  migrate,
  type NatsNode,
  natsServerBinary,
  openChdbStore,
  openEventLog,
  startLoader,
  startNatsNode,
  unknownFormatOf,
} from '../src/index.js';

const now = Date.now();
const [known, newer] = generateVisits({ count: 6, now, days: 1, site: 'formats', seed: 41 }).map((visit) => visit.events);
const message = (events: typeof known) =>
  Buffer.from(
    encodeMessage({ v: 1, site: 'formats', skewMs: 0, browser: 'Firefox', os: 'Linux', device: 'desktop', events: events ?? [] }),
  );

/** A message as a newer ingest node would write it: its index names an `events` format `zz` this code does not know. */
function withEventsFormat(data: Buffer, format: string): Buffer {
  const first = data.indexOf(10);
  const index = JSON.parse(data.subarray(0, first).toString()) as Record<string, unknown>;
  return Buffer.concat([Buffer.from(`${JSON.stringify({ ...index, ef: format })}\n`), data.subarray(first + 1)]);
}

describe('unknownFormatOf', () => {
  it("names the part of a message's index whose format is unknown, and nothing for a known message or a foreign body", () => {
    const current = message(known);
    expect(unknownFormatOf(current)).toBeUndefined();
    expect(decodeMessage(withEventsFormat(current, 'zz'))).toBeUndefined();
    expect(unknownFormatOf(withEventsFormat(current, 'zz'))).toBe('ef=zz');
    const index = (extra: object) =>
      Buffer.from(`${JSON.stringify({ f: 'tsv', site: 's', sessions: [], counts: [], eventBytes: 0, ...extra })}\n`);
    expect(unknownFormatOf(index({ vf: 'parquet' }))).toBe('vf=parquet');
    expect(unknownFormatOf(index({ f: 'cbor' }))).toBe('f=cbor');
    // Not a message of this backend (no format named): not another version's.
    expect(unknownFormatOf(Buffer.from('{"hello":1}\n'))).toBeUndefined();
    expect(unknownFormatOf(Buffer.from('not json'))).toBeUndefined();
  });
});

// A loader never acks what it cannot read: a newer ingest node's message stays in the log, redelivered, until a loader
// that knows its format stores it.
describe.skipIf(!natsServerBinary() || !chdbAvailable())('a loader meeting a message of a format it does not know', () => {
  let nats: NatsNode;
  let store: ChStore;
  let log: EventLog;
  beforeAll(async () => {
    nats = await startNatsNode();
    store = openChdbStore();
    await migrate(store);
    log = await openEventLog({ servers: [nats.url], stream: 'FORMATS' });
  });
  afterAll(async () => {
    await log?.close();
    await store?.close();
    await nats?.close();
  });

  const storedIds = async (events: typeof known) =>
    (
      await store.query<{ id: string }>('SELECT toString(event_id) AS id FROM events WHERE event_id IN {ids:Array(UUID)}', {
        ids: (events ?? []).map((event) => event.event_id),
      })
    ).length;

  it('leaves it unacked and unstored, counted and said once, and a loader that knows the format stores it later', async () => {
    const unknown = withEventsFormat(message(newer), 'zz');
    await log.publish(unknown, 'newer');
    await log.publish(message(known), 'known');
    const said: string[] = [];
    const loader = startLoader({ log, store, unknownFormatRetryMs: 200, say: (line) => said.push(line) });
    try {
      // The message comes back every 200 ms: seen at least three times, the known one stored meanwhile.
      for (const until = Date.now() + 20_000; loader.counters.unknownFormat < 3; ) {
        if (Date.now() > until) throw new Error(`not redelivered: ${JSON.stringify(loader.counters)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await loader.stop();
    }
    expect(await storedIds(known)).toBe(known?.length);
    expect(await storedIds(newer)).toBe(0);
    expect(loader.counters).toMatchObject({ skipped: 0, failures: 0 });
    expect(said.filter((line) => line.includes('ef=zz'))).toHaveLength(1);
    // Never acked: the stream still holds it for the loaders (the known one's ack is applied by the server's
    // consumer after the flush that sent it: asked at once on a loaded machine, both could still be counted).
    for (const until = Date.now() + 10_000; (await log.backlog()) > 1 && Date.now() < until; ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await log.backlog()).toBe(1);

    // A loader of a later release, which reads `zz` (here: this release's reading of what `zz` stands for, the
    // RowBinary rows), takes the very bytes that were published from the loaders' consumer and stores them.
    const consumer = await log.js.consumers.get(log.stream, log.durable);
    let redelivered: JsMsg | undefined;
    for await (const m of await consumer.fetch({ max_messages: 1, expires: 5000 })) redelivered = m;
    expect(Buffer.from(redelivered?.data ?? [])).toEqual(unknown);
    expect(redelivered?.info.deliveryCount).toBeGreaterThan(3);
    await loadBatch(store, [{ seq: redelivered?.seq ?? 0, data: withEventsFormat(Buffer.from(redelivered?.data ?? []), 'rb') }]);
    await redelivered?.ackAck();
    expect(await storedIds(newer)).toBe(newer?.length);
    expect(await log.backlog()).toBe(0);
  });
});
