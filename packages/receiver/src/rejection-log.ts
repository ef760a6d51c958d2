/** One refused request or event, as the inspection endpoint lists it. */
export interface RejectionEntry {
  at: string;
  /** `request`: the whole request was refused; `event`: one event of an otherwise answered request. */
  kind: 'request' | 'event';
  method: string;
  path: string;
  status: number;
  code: string;
  reason: string;
  site_id: string | null;
  origin: string | null;
  index?: number;
  event_id?: string | null;
}

/** A bounded, in-memory list of recent rejections (inspection only; never persisted). */
export interface RejectionLog {
  add(entry: RejectionEntry): void;
  list(limit: number): RejectionEntry[];
  readonly total: number;
  clear(): void;
}

/** Keeps the latest `max` rejections, oldest dropped first, so a flood cannot grow memory. */
export function createRejectionLog(max = 1000): RejectionLog {
  let entries: RejectionEntry[] = [];
  let total = 0;
  return {
    add(entry) {
      total++;
      entries.push(entry);
      // Trimmed in steps, not on every add: a 1000-event batch of bad events must not copy the list 1000 times.
      if (entries.length >= max * 2) entries = entries.slice(entries.length - max);
    },
    list: (limit) => entries.slice(Math.max(0, entries.length - Math.min(limit, max))),
    get total() {
      return total;
    },
    clear() {
      entries = [];
      total = 0;
    },
  };
}
