/**
 * React bindings for Trailmark. One tracker per page: the provider creates it once, on the client (under server
 * rendering it is the SDK's no-op tracker), and a second creation for the same site — StrictMode's double render, a
 * hot reload — gets the running tracker back from `createTracker()`, so nothing is counted twice.
 */
import { createContext, createElement, type ReactNode, useContext, useEffect, useRef, useState } from 'react';
import { createTracker, noopTracker, type Tracker, type TrackerOptions } from 'trailmark';

const TrackerContext = createContext<Tracker | undefined>(undefined);

/** Props of `<TrailmarkProvider>`: a `tracker` made elsewhere, or the `options` to create one from. */
export type TrailmarkProviderProps = { children?: ReactNode } & ({ tracker: Tracker } | { options: TrackerOptions });

/**
 * Makes a tracker available to `useTracker()` below it. Given `options`, it creates the tracker on first render and
 * keeps it for the page's life: it is not shut down on unmount (StrictMode unmounts and mounts again at once).
 */
export function TrailmarkProvider(props: TrailmarkProviderProps) {
  const [tracker] = useState(() => ('tracker' in props ? props.tracker : createTracker(props.options)));
  return createElement(TrackerContext.Provider, { value: tracker }, props.children);
}

const none = noopTracker('');

/** The tracker of the nearest `<TrailmarkProvider>`; outside one, a tracker that does nothing (never throws). */
export function useTracker(): Tracker {
  return useContext(TrackerContext) ?? none;
}

/** A router's location: React Router's `useLocation()`, Next.js's `usePathname()`, or any string naming the page. */
export type PageLocation = string | { pathname: string; search?: string; hash?: string };

/** Options of `usePageviews()`. */
export interface PageviewsHookOptions {
  /** Count a change of the hash alone as a new page (hash routing) (default false). */
  hash?: boolean;
}

/**
 * Tracks a `pageview` each time the router's location changes: `{ navigation: 'load' }` first, then `'push'` with the
 * previous page's URL as `referrer`, as the SDK's `pageviews()` plugin does. Use it instead of that plugin (not both)
 * when the router should decide what a page is. An effect run again for the same location (StrictMode) counts nothing.
 */
export function usePageviews(location: PageLocation, options: PageviewsHookOptions = {}): void {
  const tracker = useTracker();
  const key =
    typeof location === 'string' ? location : `${location.pathname}${location.search ?? ''}${options.hash ? (location.hash ?? '') : ''}`;
  const last = useRef<{ key: string; url: string } | undefined>(undefined);
  useEffect(() => {
    const previous = last.current;
    if (previous?.key === key) return;
    last.current = { key, url: window.location.href };
    tracker.track('pageview', { navigation: previous ? 'push' : 'load' }, previous ? { referrer: previous.url } : undefined);
  }, [tracker, key]);
}
