'use client';
/**
 * Next.js bindings (`@trailmark/react/next`). The App Router's `usePathname()` and `useSearchParams()` need a
 * `<Suspense>` boundary on a dynamic route (Cache Components) or a static one (search params): the page-view tracker
 * here brings its own, around a component that renders nothing, so the app's pages and layouts need none.
 */
import { usePathname, useSearchParams } from 'next/navigation';
import { createElement, Suspense } from 'react';
import { type PageviewsHookOptions, usePageviews } from './pageviews.js';
import { TrailmarkProvider as Provider, type TrailmarkProviderProps } from './provider.js';

function RouterPageviews(props: PageviewsHookOptions) {
  const pathname = usePathname();
  const query = useSearchParams()?.toString();
  usePageviews(pathname === null ? null : { pathname, search: query ? `?${query}` : '' }, props);
  return null;
}

/** Tracks a `pageview` per App Router navigation (see `usePageviews()` for its options); renders nothing. */
export function AppRouterPageviews(props: PageviewsHookOptions) {
  return createElement(Suspense, { fallback: null }, createElement(RouterPageviews, props));
}

/** Props of the Next.js `<TrailmarkProvider>`: those of `@trailmark/react`'s, and `pageviews` (`false`: none). */
export type NextTrailmarkProviderProps = TrailmarkProviderProps & { pageviews?: PageviewsHookOptions | false };

/**
 * `@trailmark/react`'s provider with the App Router's page views built in: put it in `app/layout.tsx` (a Server
 * Component may render it, with `options` as plain data, a `TrailmarkConfig`), or in a client `app/providers.tsx`
 * that owns full `TrackerOptions` (plugins, URL rules).
 */
export function TrailmarkProvider({ pageviews, children, ...props }: NextTrailmarkProviderProps) {
  return createElement(
    Provider,
    props as TrailmarkProviderProps,
    pageviews === false ? null : createElement(AppRouterPageviews, pageviews ?? {}),
    children,
  );
}
