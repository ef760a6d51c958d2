// The page side of the exactly-once oracle, as plain functions with no test-runner import: Playwright runs them as
// init scripts and page functions (e2e/support/created-events.ts); the cross-engine suite serves the same functions
// as a script of the page (e2e/engines/site.ts), since W3C WebDriver has no init scripts.
import type { TrailmarkEvent } from '@trailmark/protocol';

/** The localStorage keys the pages write their created events under (one key per document). */
export const CREATED_KEY_PREFIX = '__tm_e2e_created:';

/** An event the page created, as the page reported it. */
export interface CreatedEvent {
  id: string;
  visitor: string;
  type: string;
  /** The `n` prop the test's own `trailmark('track', …)` calls carry. */
  n?: number;
}

declare global {
  interface Window {
    __tmCreated?: (event: CreatedEvent) => Promise<void>;
  }
}

/**
 * Runs in the page before any of its scripts: reports every event the tracker creates, once per document, into the
 * origin's localStorage under `prefix<random>` (and through `window.__tmCreated` where the runner exposed one).
 * See `recordCreatedEvents()` for what it watches and why. Self-contained: it is serialised into the page.
 */
export function watchCreatedEvents(prefix: string): void {
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const mapSet = Map.prototype.set;
  const arrayPush = Array.prototype.push;
  const key = prefix + Math.random().toString(36).slice(2);
  const seen = new Set<string>();
  const mine: CreatedEvent[] = [];
  let reporting = false;
  const report = (event: Partial<TrailmarkEvent>) => {
    const id = event.event_id;
    if (typeof id !== 'string' || seen.has(id) || reporting) return;
    reporting = true;
    try {
      seen.add(id);
      const n = event.props?.n;
      const created = { id, visitor: String(event.visitor_id), type: String(event.type) };
      const entry: CreatedEvent = typeof n === 'number' ? { ...created, n } : created;
      mine[mine.length] = entry;
      try {
        localStorage.setItem(key, stringify(mine));
      } catch {
        // The binding below still reports it while the page lives.
      }
      window.__tmCreated?.(entry)?.catch(() => undefined);
    } finally {
      reporting = false;
    }
  };
  /** A queue entry: `{ id, body }` with the event's JSON as `body`. */
  const entryOf = (value: unknown) => {
    const entry = value as { id?: unknown; body?: unknown } | null;
    if (!entry || typeof entry !== 'object' || typeof entry.id !== 'string' || typeof entry.body !== 'string') return;
    if (!entry.body.startsWith('{') || !entry.body.includes(entry.id) || seen.has(entry.id)) return;
    try {
      report(parse(entry.body) as Partial<TrailmarkEvent>);
    } catch {
      // Not an event after all.
    }
  };
  JSON.stringify = function (this: unknown, value: unknown, ...rest: unknown[]) {
    const event = value as Partial<TrailmarkEvent> | null;
    if (event && typeof event === 'object' && typeof event.event_id === 'string' && typeof event.seq === 'number') report(event);
    return (stringify as (...args: unknown[]) => string).call(this, value, ...rest);
  } as typeof JSON.stringify;
  Map.prototype.set = function (this: Map<unknown, unknown>, mapKey: unknown, value: unknown) {
    entryOf(value);
    return mapSet.call(this, mapKey, value);
  };
  Array.prototype.push = function (this: unknown[], ...items: unknown[]) {
    for (const item of items) entryOf(item);
    return arrayPush.apply(this, items);
  };
}

/** Runs in the page: every list of created events the origin's documents kept in localStorage, as JSON. */
export function readCreatedLists(prefix: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i);
    if (key?.startsWith(prefix)) out.push(localStorage.getItem(key) ?? '[]');
  }
  return out;
}

/** Adds what `readCreatedLists()` returned to `created`. */
export function mergeCreated(created: Map<string, CreatedEvent>, lists: readonly string[]): void {
  for (const list of lists) for (const event of JSON.parse(list) as CreatedEvent[]) created.set(event.id, event);
}

/**
 * What the page created against what the receiver stored (of the page's visitors): missing ids, unexpected ids, ids
 * stored twice, counted `n`s never stored, and the types of the missing and unexpected events.
 */
export function diffCreated(
  created: ReadonlyMap<string, CreatedEvent>,
  stored: readonly TrailmarkEvent[],
  expectedN: readonly number[] = [],
) {
  const storedIds = stored.map((event) => event.event_id);
  const storedSet = new Set(storedIds);
  const storedN = new Set(stored.map((event) => event.props?.n).filter((n) => typeof n === 'number'));
  return {
    missing: [...created.keys()].filter((id) => !storedSet.has(id)),
    unexpected: [...storedSet].filter((id) => !created.has(id)),
    storedTwice: storedIds.filter((id, index) => storedIds.indexOf(id) !== index),
    missingN: expectedN.filter((n) => !storedN.has(n)),
    /** Types of the missing and unexpected events, to say at a glance what went wrong. */
    missingTypes: [...new Set([...created.values()].filter((event) => !storedSet.has(event.id)).map((event) => event.type))],
    unexpectedTypes: [...new Set(stored.filter((event) => !created.has(event.event_id)).map((event) => event.type))],
  };
}
