import { type BrowserContext, expect, type Page } from '@playwright/test';
import type { TrailmarkEvent } from '@trailmark/protocol';
import { receiver } from './receiver-client.js';

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

/** The localStorage keys the pages write their created events under (one key per document). */
export const CREATED_KEY_PREFIX = '__tm_e2e_created:';

/**
 * The page side of the exactly-once check: every event the tracker creates, reported out of the page. The script
 * tag offers no event hook (and the SDK should not grow one for tests), so an init script watches the steps an event
 * takes inside the SDK before it may leave the page, and reports each event id once per document:
 * - an event object serialised with `JSON.stringify` (an object with `event_id` and `seq`);
 * - a queue entry (`{ id, body }`, `body` the event's JSON) put into a `Map` or pushed onto an array, as the queue
 *   and the consent buffer hold them.
 * Watching more than one shape keeps the oracle working while the SDK's internals change; if none matches any more,
 * the test fails loudly (no visitor known, every counted event missing), never quietly.
 * Events created at pagehide (time on page, vitals, the unload batch) would be lost with a Playwright binding, whose
 * calls from a document being torn down never arrive, so each document also keeps its list in the origin's
 * localStorage (`__tm_e2e_created:<random>`), which outlives reloads and closed tabs of the context. Events the test
 * tracks itself carry a counter `n`: one lost before the SDK serialised or queued it still shows up as a missing `n`.
 */
export async function recordCreatedEvents(context: BrowserContext) {
  const created = new Map<string, CreatedEvent>();
  await context.exposeBinding('__tmCreated', (_source, event: CreatedEvent) => {
    created.set(event.id, event);
  });
  await context.addInitScript((prefix) => {
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
  }, CREATED_KEY_PREFIX);

  /** Merges what the origin's pages kept in localStorage (read through any open page of the origin). */
  const collect = async (page?: Page) => {
    if (!page || page.isClosed()) return;
    const lists = await page
      .evaluate((prefix) => {
        const out: string[] = [];
        for (let i = 0; i < localStorage.length; i++) {
          const key = localStorage.key(i);
          if (key?.startsWith(prefix)) out.push(localStorage.getItem(key) ?? '[]');
        }
        return out;
      }, CREATED_KEY_PREFIX)
      .catch(() => [] as string[]);
    for (const list of lists) for (const event of JSON.parse(list) as CreatedEvent[]) created.set(event.id, event);
  };
  return {
    created,
    collect,
    ids: () => new Set(created.keys()),
    visitors: () => new Set([...created.values()].map((event) => event.visitor)),
  };
}

/** What `recordCreatedEvents()` resolves to. */
export type CreatedLog = Awaited<ReturnType<typeof recordCreatedEvents>>;

/** The receiver's events of the visitors this test's pages created events for. */
export async function storedFor(log: CreatedLog): Promise<TrailmarkEvent[]> {
  const visitors = log.visitors();
  return (await receiver.events()).filter((event) => visitors.has(event.visitor_id));
}

/** Compares what the page created with what the receiver stored: missing ids, unexpected ids, ids stored twice. */
export async function compare(log: CreatedLog, page: Page | undefined, expectedN: readonly number[] = []) {
  await log.collect(page);
  const stored = await storedFor(log);
  const storedIds = stored.map((event) => event.event_id);
  const created = log.ids();
  const storedSet = new Set(storedIds);
  const storedN = new Set(stored.map((event) => event.props?.n).filter((n) => typeof n === 'number'));
  return {
    missing: [...created].filter((id) => !storedSet.has(id)),
    unexpected: [...storedSet].filter((id) => !created.has(id)),
    storedTwice: storedIds.filter((id, index) => storedIds.indexOf(id) !== index),
    missingN: expectedN.filter((n) => !storedN.has(n)),
    /** Types of the missing and unexpected events, to say at a glance what went wrong. */
    missingTypes: [...new Set([...log.created.values()].filter((event) => !storedSet.has(event.id)).map((event) => event.type))],
    unexpectedTypes: [...new Set(stored.filter((event) => !created.has(event.event_id)).map((event) => event.type))],
  };
}

/**
 * Waits (event-driven, by polling the receiver) until the set of event ids the page created equals the set the
 * receiver stored, with no id twice and every counted event of the test present. `page`: any open page of the
 * origin, to read what the closed or reloaded documents kept.
 */
export async function expectExactlyOnce(log: CreatedLog, page: Page | undefined, expectedN: readonly number[] = [], timeout = 20_000) {
  await expect
    .poll(() => compare(log, page, expectedN), { timeout, message: 'created event ids = stored event ids, each once' })
    .toEqual({ missing: [], unexpected: [], storedTwice: [], missingN: [], missingTypes: [], unexpectedTypes: [] });
  expect(log.created.size).toBeGreaterThan(0);
}
