/** A bounded memory of the event ids one ingest node had acknowledged by the log, oldest forgotten first. */
export interface RecentIds {
  add(site: string, ids: Iterable<string>): void;
  has(site: string, id: string): boolean;
}

/**
 * Keeps up to `capacity` ids in all (a Map keeps insertion order: past the bound, the adding site's oldest id goes,
 * or another site's when it has none left). One map per site, so a lookup — once per event of every request —
 * builds no key string.
 */
export function recentIds(capacity = 200_000): RecentIds {
  const sites = new Map<string, Map<string, true>>();
  let size = 0;
  const evict = (preferred: Map<string, true>) => {
    const from = preferred.size > 1 ? preferred : [...sites.values()].find((seen) => seen.size > 0);
    const oldest = from?.keys().next();
    if (from && oldest && !oldest.done) {
      from.delete(oldest.value);
      size--;
    }
  };
  return {
    add(site, ids) {
      let seen = sites.get(site);
      if (!seen) {
        seen = new Map();
        sites.set(site, seen);
      }
      for (const id of ids) {
        if (seen.delete(id)) size--;
        seen.set(id, true);
        size++;
        if (size > capacity) evict(seen);
      }
    },
    has: (site, id) => sites.get(site)?.has(id) === true,
  };
}
