// Page functions the Chromium specs (through Playwright) and the cross-engine suite (through its page driver) both
// run in the page: self-contained, since they are serialised into it.

type TrailmarkGlobal = (method: string, ...args: unknown[]) => unknown;

/** Tracks a `chaos_tick` event with props `{ n }` for each n of `list`, in one task. */
export function trackTicksInPage(list: readonly number[]): void {
  const api = (window as unknown as { trailmark: TrailmarkGlobal }).trailmark;
  for (const n of list) api('track', 'chaos_tick', { n });
}

/** Records in the tracker's IndexedDB queue: 0 when it has no database, -1 where IndexedDB cannot be used at all. */
export async function queuedInIndexedDbInPage(): Promise<number> {
  try {
    if (!(await indexedDB.databases()).some((db) => db.name === 'trailmark')) return 0;
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('trailmark');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const count = db.transaction('queue').objectStore('queue').count();
    const records = await new Promise<number>((resolve) => {
      count.onsuccess = () => resolve(count.result);
    });
    db.close();
    return records;
  } catch {
    return -1;
  }
}
