'use client';
import { useEffect, useRef } from 'react';
import { type PageRecorder, pageRecorder } from './page-recorder.js';
import { useTracker } from './provider.js';

/**
 * A router's location: React Router's `useLocation()`, `{ pathname, search }` from Next.js's `usePathname()` and
 * `useSearchParams()`, a path with its query (the Pages Router's `asPath`), or `null` while the router does not know
 * the page yet (the Pages Router before `isReady`): nothing is recorded for it.
 */
export type PageLocation = string | { pathname: string; search?: string; hash?: string } | null | undefined;

/** Options of `usePageviews()`. */
export interface PageviewsHookOptions {
  /** Count a change of the query string alone as a new page (default true). */
  search?: boolean;
  /** Count a change of the hash alone as a new page (hash routing) (default false). */
  hash?: boolean;
  /** The page's title, when the component knows it: recorded with it at once, without waiting for `document.title`. */
  title?: string;
  /** How long a page view waits for the new route's `document.title`, ms (default 1000). */
  titleWaitMs?: number;
}

/** The part of `location` that makes a page, under `options`; `undefined` for no location yet. */
export function pageKey(location: PageLocation, options: PageviewsHookOptions = {}): string | undefined {
  if (location === null || location === undefined) return undefined;
  let { pathname, search = '', hash = '' } = typeof location === 'string' ? { pathname: location } : location;
  if (typeof location === 'string') {
    const at = pathname.search(/[?#]/);
    const rest = at < 0 ? '' : pathname.slice(at);
    pathname = at < 0 ? pathname : pathname.slice(0, at);
    const h = rest.indexOf('#');
    search = h < 0 ? rest : rest.slice(0, h);
    hash = h < 0 ? '' : rest.slice(h);
  }
  if (search === '?') search = '';
  return `${pathname}${options.search === false ? '' : search}${options.hash ? hash : ''}`;
}

/**
 * Tracks a `pageview` each time the router's location changes: `{ navigation: 'load' }` first, then `'push'`,
 * `'replace'`, `'pop'` (Back/Forward) or `'hash'`, with the previous page's URL as `referrer`. The title is the new
 * route's: the page view waits (up to `titleWaitMs`) for `document.title` to change, unless `title` is given. Use it
 * instead of the SDK's `pageviews()` plugin (not both) when the router should decide what a page is. An effect run
 * again for the same location (StrictMode) counts nothing; under server rendering it does nothing.
 */
export function usePageviews(location: PageLocation, options: PageviewsHookOptions = {}): void {
  const tracker = useTracker();
  const key = pageKey(location, options);
  const recorder = useRef<PageRecorder | undefined>(undefined);
  const { title, titleWaitMs = 1000 } = options;
  useEffect(() => {
    recorder.current ??= pageRecorder(window);
    return recorder.current._listen();
  }, []);
  useEffect(() => {
    if (key === undefined) return;
    recorder.current ??= pageRecorder(window);
    recorder.current._view(tracker, key, { title, titleWaitMs });
  }, [tracker, key, title, titleWaitMs]);
}
