import { afterEach, describe, expect, it } from 'vitest';
import { StorageError } from '../src/errors.js';
import { type EventStore, openStore } from '../src/store.js';
import { makeEvent, tempDir } from './helpers.js';

const COUNT = { sql: 'SELECT count(*) AS n FROM visits WHERE site_id = ?', params: ['demo'] };
const insert = (store: EventStore, sessions: string[]) =>
  store.insert(
    sessions.map((session) => makeEvent({ session_id: session })),
    { skewMs: 0, receivedAt: Date.now(), source: 'batch', userAgent: null },
  );

describe('the stats reader threads of a file store', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });
  const open = (readThreads?: number) => {
    const { dir, remove } = tempDir();
    const store = openStore({ dataDir: dir, ...(readThreads === undefined ? {} : { readThreads }) });
    cleanups.push(() => store.close(), remove);
    return store;
  };

  it('read what the writer committed, each batch as soon as it is stored, side by side', async () => {
    const store = open(2);
    insert(store, ['a', 'b']);
    expect(await store.readVisitRows(COUNT)).toEqual([{ n: 2 }]);
    insert(store, ['c']);
    const answers = await Promise.all(Array.from({ length: 6 }, () => store.readVisitRows(COUNT)));
    expect(answers).toEqual(Array.from({ length: 6 }, () => [{ n: 3 }]));
    expect(await store.readVisitRows(COUNT)).toEqual(store.visitRows(COUNT));
  });

  it('share one answer among identical reads at once, never with a read that follows a write', async () => {
    const store = open(2);
    insert(store, ['a']);
    const first = store.readVisitRows(COUNT);
    const same = store.readVisitRows(COUNT);
    insert(store, ['b']);
    const later = store.readVisitRows(COUNT);
    const [a, b, c] = await Promise.all([first, same, later]);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(c).toEqual([{ n: 2 }]);
    // Once answered, the same read runs again.
    expect(await store.readVisitRows(COUNT)).not.toBe(c);
  });

  it('turn a failed read into a StorageError (a 503), and refuse reads once the store is closed', async () => {
    const store = open();
    await expect(store.readVisitRows({ sql: 'SELECT * FROM no_such_table', params: [] })).rejects.toThrow(StorageError);
    // The reader that failed a statement still answers the next.
    insert(store, ['a']);
    expect(await store.readVisitRows(COUNT)).toEqual([{ n: 1 }]);
    store.close();
    await expect(store.readVisitRows(COUNT)).rejects.toThrow(/closed/);
  });
});
