import { EVENT_TYPE_PATTERN, type PageContext, type Props, propsProblem, type TrailmarkEvent } from '@trailmark/protocol';
import { afterEach, expect } from 'vitest';
import type { Plugin, TrackerApi } from '../../src/plugin.js';

/** One `track()` call as a plugin made it. */
export interface Call {
  type: string;
  props: Props | undefined;
  context: Partial<PageContext> | undefined;
  /** Where the core would say the event happened: the context override, else the location at call time. */
  url: string;
  path: string;
}

const teardowns: Array<() => void> = [];
const failures: string[] = [];

// Every test leaves the shared happy-dom window as it found it, and no plugin may have reported an error
// or tracked something the wire schema refuses.
afterEach(() => {
  for (const teardown of teardowns.splice(0).reverse()) teardown();
  const found = failures.splice(0);
  expect(found).toEqual([]);
});

/**
 * The core's edge, faked: records each `track()` and replays it to `onEvent` listeners as the core would (with the
 * page context read at call time unless overridden). It fails the test on an invalid event type or props and on any
 * reported error.
 */
export function fakeTracker() {
  const calls: Call[] = [];
  const listeners = new Set<(event: TrailmarkEvent) => void>();
  const api: TrackerApi = {
    siteId: 'site',
    track(type, props, context) {
      if (!EVENT_TYPE_PATTERN.test(type)) failures.push(`invalid event type ${type}`);
      const problem = props && propsProblem(props);
      if (problem) failures.push(`${type}: ${problem}`);
      const event = { type, url: location.href, path: location.pathname, props, ...context } as TrailmarkEvent;
      calls.push({ type, props, context, url: event.url, path: event.path });
      for (const listener of listeners) listener(event);
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    reportError(error, where) {
      failures.push(`${where}: ${String(error)}`);
    },
  };
  return {
    api,
    calls,
    listeners,
    /** The calls of one type. */
    of: (type: string) => calls.filter((call) => call.type === type),
    /** Clears the record (e.g. after the first page view). */
    reset: () => calls.splice(0),
  };
}

/** Sets plugins up, in order, on one fresh fake tracker; they are torn down after the test (or earlier via `teardown`). */
export function mount(...plugins: Plugin[]) {
  const tracker = fakeTracker();
  const stops = plugins.map((plugin) => plugin.setup(tracker.api));
  let stopped = false;
  const teardown = () => {
    if (!stopped) for (const stop of stops.reverse()) stop?.();
    stopped = true;
  };
  teardowns.push(teardown);
  return { ...tracker, teardown };
}

/** Overrides a read-only property for the rest of the test. */
export function stub<T extends object>(target: T, key: string, get: () => unknown) {
  const own = Object.getOwnPropertyDescriptor(target, key);
  Object.defineProperty(target, key, { configurable: true, get });
  teardowns.push(() => {
    if (own) Object.defineProperty(target, key, own);
    else delete (target as Record<string, unknown>)[key];
  });
}
