import { type BrowserContext, expect, type Page } from '@playwright/test';
import type { TrailmarkEvent } from '@trailmark/protocol';
import { CREATED_KEY_PREFIX, type CreatedEvent, diffCreated, mergeCreated, readCreatedLists, watchCreatedEvents } from './created-watch.js';
import { receiver } from './receiver-client.js';

export { CREATED_KEY_PREFIX, type CreatedEvent } from './created-watch.js';

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
  await context.addInitScript(watchCreatedEvents, CREATED_KEY_PREFIX);

  /** Merges what the origin's pages kept in localStorage (read through any open page of the origin). */
  const collect = async (page?: Page) => {
    if (!page || page.isClosed()) return;
    const lists = await page.evaluate(readCreatedLists, CREATED_KEY_PREFIX).catch(() => [] as string[]);
    mergeCreated(created, lists);
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
  return diffCreated(log.created, await storedFor(log), expectedN);
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
