import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createCommitQueue } from '../src/commit-queue.js';
import { openStore, type RunningReceiver } from '../src/index.js';
import { makeEvent, post, start, tempDir } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function durable(): Promise<{ server: RunningReceiver; dir: string }> {
  const temp = tempDir();
  cleanups.push(temp.remove);
  const server = await start({ memory: false, dataDir: temp.dir });
  cleanups.push(() => server.close());
  return { server, dir: temp.dir };
}

describe('group commit', () => {
  it('accepts each event_id exactly once across concurrent requests that share events', async () => {
    const { server } = await durable();
    const shared = Array.from({ length: 20 }, (_, seq) => makeEvent({ seq }));
    const requests = Array.from({ length: 8 }, (_, i) => [...shared.slice(i, i + 10), makeEvent({ seq: 100 + i })]);
    const answers = (await Promise.all(requests.map(async (events) => (await post(server.url, '/v1/batch', { events })).json()))) as Array<{
      accepted: string[];
      duplicates: string[];
    }>;
    const accepted = answers.flatMap((answer) => answer.accepted);
    const expected = new Set(requests.flat().map((event) => event.event_id));
    expect(accepted.length).toBe(expected.size);
    expect(new Set(accepted)).toEqual(expected);
    answers.forEach((answer, i) => {
      expect([...answer.accepted, ...answer.duplicates].sort()).toEqual(requests[i]?.map((e) => e.event_id).sort());
    });
    const stored = (await (await fetch(`${server.url}/_trailmark/events?limit=1000`)).json()) as { count: number };
    expect(stored.count).toBe(expected.size);
  });

  it('fails only the batch whose write fails, even when it shared a transaction', async () => {
    const { server, dir } = await durable();
    const db = new Database(join(dir, 'receiver.db'));
    cleanups.push(() => {
      db.close();
    });
    db.exec("CREATE TRIGGER explode BEFORE INSERT ON events WHEN NEW.type = 'explode' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");
    const bad = [makeEvent(), makeEvent({ type: 'explode' })];
    const goods = Array.from({ length: 5 }, () => [makeEvent(), makeEvent()]);
    const statuses = await Promise.all([bad, ...goods].map(async (events) => (await post(server.url, '/v1/batch', { events })).status));
    expect(statuses).toEqual([503, 200, 200, 200, 200, 200]);
    const ids = (db.prepare('SELECT event_id FROM events').all() as Array<{ event_id: string }>).map((row) => row.event_id).sort();
    expect(ids).toEqual(
      goods
        .flat()
        .map((e) => e.event_id)
        .sort(),
    );
  });

  it('commits as soon as every open ticket has submitted or been released, else after maxWaitMs', async () => {
    const store = openStore({ memory: true });
    cleanups.push(() => store.close());
    const queue = createCommitQueue(store, { maxWaitMs: 300 });
    const options = { skewMs: 0, receivedAt: Date.now(), source: 'batch' as const };

    const refused = queue.ticket();
    const good = queue.ticket();
    refused.release();
    let started = Date.now();
    expect((await good.submit([makeEvent()], options)).size).toBe(1);
    expect(Date.now() - started).toBeLessThan(250);

    const slow = queue.ticket();
    const waiting = queue.ticket();
    started = Date.now();
    expect((await waiting.submit([makeEvent()], options)).size).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    slow.release();
  });

  it('commits the batches of open tickets together and isolates a failing one', async () => {
    const temp = tempDir();
    cleanups.push(temp.remove);
    const store = openStore({ dataDir: temp.dir });
    cleanups.push(() => store.close());
    const groups: number[] = [];
    const insertBatches = store.insertBatches.bind(store);
    store.insertBatches = (batches) => {
      groups.push(batches.length);
      return insertBatches(batches);
    };
    const db = new Database(join(temp.dir, 'receiver.db'));
    cleanups.push(() => {
      db.close();
    });
    db.exec("CREATE TRIGGER explode BEFORE INSERT ON events WHEN NEW.type = 'explode' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");
    const queue = createCommitQueue(store, { maxWaitMs: 1000 });
    const options = { skewMs: 0, receivedAt: Date.now(), source: 'batch' as const };
    const [first, second, third] = [queue.ticket(), queue.ticket(), queue.ticket()];
    const good = makeEvent();
    const results = Promise.allSettled([
      first.submit([good], options),
      second.submit([makeEvent({ type: 'explode' })], options),
      third.submit([good], options),
    ]);
    const [a, b, c] = await results;
    // One group transaction for all three, which failed, then one transaction each.
    expect(groups).toEqual([3]);
    expect(a).toEqual({ status: 'fulfilled', value: new Set([good.event_id]) });
    expect(b.status).toBe('rejected');
    expect(c).toEqual({ status: 'fulfilled', value: new Set() });
  });
});
