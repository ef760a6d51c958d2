/** A bounded memory of the event ids one ingest node had acknowledged by the log, oldest forgotten first. */
export interface RecentIds {
  add(site: string, ids: Iterable<string>): void;
  has(site: string, id: string): boolean;
}

/** Keeps up to `capacity` ids (a Map keeps insertion order, so eviction is the first key). */
export function recentIds(capacity = 200_000): RecentIds {
  const seen = new Map<string, true>();
  return {
    add(site, ids) {
      for (const id of ids) {
        const key = `${site}\u0000${id}`;
        seen.delete(key);
        seen.set(key, true);
        if (seen.size > capacity) seen.delete(seen.keys().next().value as string);
      }
    },
    has: (site, id) => seen.has(`${site}\u0000${id}`),
  };
}
