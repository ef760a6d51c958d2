// What every cross-engine scenario runs on: the example site with the built trailmark.min.js on a port the OS picks
// (a new origin per scenario, so no scenario sees another's storage), its pages sending through the fault proxy to
// the reference receiver; the exactly-once oracle served as the page's first script; and the counts of a run.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from '@playwright/test';
import type { TrailmarkEvent } from '@trailmark/protocol';
import { type StaticServer, scriptTagFiles, startStaticServer } from '../../scripts/serve-static.mjs';
import {
  CREATED_KEY_PREFIX,
  type CreatedEvent,
  diffCreated,
  mergeCreated,
  readCreatedLists,
  watchCreatedEvents,
} from '../support/created-watch.js';
import type { ProxiedBatch } from '../support/fault-proxy.js';
import { queuedInIndexedDbInPage, trackTicksInPage } from '../support/page-functions.js';
import { receiver } from '../support/receiver-client.js';
import type { EnginePage } from './driver.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const ERRORS_KEY = '__tm_e2e_errors';

type Api = (method: string, ...args: unknown[]) => unknown;

/** Runs in the page before its scripts: keeps every uncaught error and unhandled rejection in localStorage. */
function watchPageErrors(key: string): void {
  const record = (message: string) => {
    try {
      localStorage.setItem(key, JSON.stringify([...(JSON.parse(localStorage.getItem(key) ?? '[]') as string[]), message]));
    } catch (error) {
      console.error('e2e: could not keep a page error', message, error);
    }
  };
  addEventListener('error', (event) => record(String(event.message)));
  addEventListener('unhandledrejection', (event) => record(String(event.reason)));
}

/** Runs in the page before its scripts: IndexedDB refuses to open, as with storage blocked or in a private window. */
function blockIndexedDb(): void {
  IDBFactory.prototype.open = () => {
    throw new DOMException('IndexedDB is blocked in this test', 'InvalidStateError');
  };
}

/** The scripts a scenario may put first in every page of its site. */
const SCRIPTS = {
  /** The exactly-once oracle and the page-error log: every page has them. */
  oracle: `(${watchCreatedEvents})(${JSON.stringify(CREATED_KEY_PREFIX)});(${watchPageErrors})(${JSON.stringify(ERRORS_KEY)});`,
  blockIndexedDb: `(${blockIndexedDb})();`,
} as const;
/** Page scripts that are files of the repository: the documented pre-load stub, which queues two calls. */
const FILES = { stub: `${repo}e2e/pages/stub.js` } as const;

export type PageScript = keyof typeof SCRIPTS | keyof typeof FILES;

let scriptDir: string | undefined;
/** Writes the generated page scripts once per process. */
function scriptFiles(): Record<string, string> {
  if (!scriptDir) {
    scriptDir = mkdtempSync(join(tmpdir(), 'trailmark-engines-'));
    for (const [name, source] of Object.entries(SCRIPTS)) writeFileSync(join(scriptDir, `${name}.js`), source);
  }
  const files: Record<string, string> = {};
  for (const name of Object.keys(SCRIPTS)) files[`/__e2e/${name}.js`] = join(scriptDir, `${name}.js`);
  for (const [name, file] of Object.entries(FILES)) files[`/__e2e/${name}.js`] = file;
  return files;
}

/** Starts the example site for one scenario, sending to `endpoint`, with the oracle and `scripts` first in each page. */
export function startSite(endpoint: string, scripts: readonly PageScript[] = []): Promise<StaticServer> {
  const dist = `${repo}packages/sdk/dist/`;
  return startStaticServer({
    root: `${repo}examples/static-site`,
    port: 0,
    endpoint,
    files: { ...scriptFiles(), ...scriptTagFiles(dist) },
    headScripts: ['oracle', ...scripts].map((name) => `/__e2e/${name}.js`),
  });
}

/** Polls `fn` in the page until it returns true (errors while a page navigates count as not yet). */
export async function until<A>(page: EnginePage, fn: (arg: A) => boolean | Promise<boolean>, arg: A, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await page.evaluate(fn, arg)) return;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not true within ${timeoutMs} ms: ${String(fn)}${last ? ` (last error: ${String(last)})` : ''}`);
}

/** Waits until the script tag has loaded on a page at `path`: its global answers `dropped` (the stub answers nothing). */
export const waitForTracker = (page: EnginePage, path?: string) =>
  until(
    page,
    (expected) => {
      const global = (window as unknown as { trailmark?: Api }).trailmark;
      return (!expected || location.pathname === expected) && typeof global === 'function' && typeof global('dropped') === 'object';
    },
    path ?? '',
  );

/** Tracks `chaos_tick` events with props `{ n }` for each n, in one task of the page; returns the ns. */
export async function trackTicks(page: EnginePage, from: number, count: number): Promise<number[]> {
  const ns = Array.from({ length: count }, (_, i) => from + i);
  await page.evaluate(trackTicksInPage, ns);
  return ns;
}

/** Calls the page's `trailmark(method, ...args)` and awaits what it returns. */
export const call = (page: EnginePage, method: string, ...args: unknown[]) =>
  page.evaluate(
    async ([name, rest]) => {
      await (window as unknown as { trailmark: Api }).trailmark(name, ...rest);
    },
    [method, args] as const,
  );

/** Records in the tracker's IndexedDB queue (0 when there is no such database, -1 when IndexedDB cannot be used). */
export const queuedInIndexedDb = (page: EnginePage) => page.evaluate(queuedInIndexedDbInPage, null);

/** One scenario's counts in one engine. */
export interface Outcome {
  /** Events the pages created (or the test counted) that the receiver never stored. */
  lost: number;
  /** Events the receiver stored more than once. */
  duplicated: number;
  /** Events sent again after the receiver had them (it answered them as duplicates and stored them once). */
  resent: number;
  created: number;
  /** The reload loops: event ids on the wire, and how many of them were extra copies (`npm run bench` prints them). */
  wire?: { sent: number; copies: number };
  /** What the scenario had to do differently in this engine, if anything. */
  notes: string[];
}

/** Everything the pages of a scenario created, read through an open page of its origin. */
export async function createdOn(page: EnginePage, created: Map<string, CreatedEvent>) {
  mergeCreated(created, await page.evaluate(readCreatedLists, CREATED_KEY_PREFIX));
  return created;
}

/** The stored events of the visitors in `created`. */
async function storedFor(created: ReadonlyMap<string, CreatedEvent>): Promise<TrailmarkEvent[]> {
  const visitors = new Set([...created.values()].map((event) => event.visitor));
  return (await receiver.events()).filter((event) => visitors.has(event.visitor_id));
}

/**
 * Waits until the set of event ids the scenario's pages created equals the set the receiver stored, each once, with
 * every counted `n` present, or until `timeoutMs`; fills in `outcome` either way, then asserts. Resolves to the
 * stored events. `page`: an open page of the origin, to read what closed or reloaded documents kept; `batches`:
 * what the proxy saw from the scenario's site.
 */
export async function expectExactlyOnce(
  page: EnginePage,
  batches: () => ProxiedBatch[],
  outcome: Outcome,
  expectedN: readonly number[] = [],
  timeoutMs = 20_000,
): Promise<TrailmarkEvent[]> {
  const created = new Map<string, CreatedEvent>();
  const deadline = Date.now() + timeoutMs;
  let diff: ReturnType<typeof diffCreated>;
  let stored: TrailmarkEvent[];
  for (;;) {
    await createdOn(page, created);
    stored = await storedFor(created);
    diff = diffCreated(created, stored, expectedN);
    const clean = !diff.missing.length && !diff.unexpected.length && !diff.storedTwice.length && !diff.missingN.length;
    if ((clean && created.size > 0) || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const lostIds = new Set(diff.missing);
  const lostN = diff.missingN.filter((n) => ![...created.values()].some((event) => event.n === n && lostIds.has(event.id)));
  outcome.lost = lostIds.size + lostN.length;
  outcome.duplicated = new Set(diff.storedTwice).size;
  outcome.resent = new Set(batches().flatMap((batch) => batch.duplicates)).size;
  outcome.created = created.size;
  const log = batches()
    .map((batch) => `${batch.status}:${batch.ids.length}${batch.mode === 'no-cors' ? 'b' : ''}`)
    .join(' ');
  expect(diff, `created event ids = stored event ids, each once (batches, status:events, b = beacon: ${log})`).toEqual({
    missing: [],
    unexpected: [],
    storedTwice: [],
    missingN: [],
    missingTypes: [],
    unexpectedTypes: [],
  });
  expect(created.size).toBeGreaterThan(0);
  return stored;
}

/** The uncaught errors and unhandled rejections the origin's pages saw. */
export const pageErrors = (page: EnginePage) =>
  page.evaluate((key) => JSON.parse(localStorage.getItem(key) ?? '[]') as string[], ERRORS_KEY);
