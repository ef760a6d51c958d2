'use client';
/**
 * React bindings for Trailmark: `<TrailmarkProvider>`, `useTracker()` and `usePageviews()` for any router. Client
 * modules (`"use client"`), so a Next.js Server Component can render the provider; `@trailmark/react/next` adds the
 * App Router's page views.
 */
export type { Navigation } from './page-recorder.js';
export type { PageLocation, PageviewsHookOptions } from './pageviews.js';
export { pageKey, usePageviews } from './pageviews.js';
export type { StartWhen, TrailmarkConfig, TrailmarkProviderProps } from './provider.js';
export { TrailmarkProvider, useTracker } from './provider.js';
