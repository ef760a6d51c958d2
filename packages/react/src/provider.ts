'use client';
import { createContext, createElement, type ReactNode, useContext, useEffect, useState } from 'react';
import { createTracker, fetchTransport, noopTracker, type Persistence, type Tracker, type TrackerOptions } from 'trailmark';
import { deferredTracker } from './deferred.js';

/**
 * Tracker options as plain data, so a Server Component (a Next.js `app/layout.tsx`) can pass them to the provider:
 * `endpoint` is the receiver's URL (events go there with `fetchTransport`). Plugins, URL rules and hooks are
 * functions: set them in full `TrackerOptions` from a client module instead.
 */
export type TrailmarkConfig = { endpoint: string; persistence?: Persistence } & Pick<
  TrackerOptions,
  | 'siteId'
  | 'batchSize'
  | 'batchBytes'
  | 'flushInterval'
  | 'maxBatchBytes'
  | 'maxQueueEvents'
  | 'maxQueueBytes'
  | 'maxEventAge'
  | 'requestTimeout'
  | 'consent'
  | 'respectGPC'
  | 'respectDNT'
  | 'sampleRate'
  | 'sessionTimeout'
  | 'reportDrops'
  | 'debug'
>;

/** When the provider creates its tracker: after hydration (an effect, the default) or when the browser is idle after it. */
export type StartWhen = 'hydrated' | 'idle';

/**
 * Props of `<TrailmarkProvider>`: a `tracker` made elsewhere, or the `options` to create one from (full
 * `TrackerOptions`, or a `TrailmarkConfig` of plain data), and when to create it.
 */
export type TrailmarkProviderProps = { children?: ReactNode } & (
  | { tracker: Tracker }
  | { options: TrackerOptions | TrailmarkConfig; start?: StartWhen }
);

const TrackerContext = createContext<Tracker | undefined>(undefined);

/** Full options from either form. */
export const trackerOptions = (options: TrackerOptions | TrailmarkConfig): TrackerOptions => {
  if ('transport' in options) return options;
  const { endpoint, ...rest } = options;
  return { ...rest, transport: fetchTransport({ url: endpoint }) };
};

/** Runs `fn` when the browser is idle (at most 2 s later); returns the cancellation. */
function onIdle(fn: () => void): () => void {
  if (typeof requestIdleCallback === 'function') {
    const id = requestIdleCallback(fn, { timeout: 2000 });
    return () => cancelIdleCallback(id);
  }
  const id = setTimeout(fn, 1);
  return () => clearTimeout(id);
}

/**
 * Makes a tracker available to `useTracker()` below it. Given `options`, it creates the tracker after the hydration
 * render has committed (`start="idle"`: when the browser is idle after it), never during a render; until then
 * `useTracker()` returns a stand-in whose calls are replayed in order once it starts. The tracker lives as long as
 * the page: it is not shut down on unmount (StrictMode unmounts and mounts again at once), and a second creation
 * for the same site (StrictMode, a hot reload) gets the running one back from `createTracker()`.
 */
export function TrailmarkProvider(props: TrailmarkProviderProps) {
  const given = 'tracker' in props ? props.tracker : undefined;
  // The options and start of the first render are the tracker's (createTracker() keeps a site's first options too).
  const [first] = useState(() =>
    'options' in props ? { deferred: deferredTracker(props.options.siteId), options: props.options, start: props.start } : undefined,
  );
  useEffect(() => {
    if (!first) return;
    const begin = () => first.deferred.start(createTracker(trackerOptions(first.options)));
    if (first.start === 'idle') return onIdle(begin);
    begin();
  }, [first]);
  return createElement(TrackerContext.Provider, { value: given ?? first?.deferred.tracker }, props.children);
}

const none = noopTracker('');

/** The tracker of the nearest `<TrailmarkProvider>`; outside one, a tracker that does nothing (never throws). */
export function useTracker(): Tracker {
  return useContext(TrackerContext) ?? none;
}
