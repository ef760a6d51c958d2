import type { Page } from '@playwright/test';
import { trackTicksInPage } from './page-functions.js';

type TrailmarkGlobal = (method: string, ...args: unknown[]) => unknown;

/** Calls the page's `window.trailmark(method, ...args)` (the script tag's one global) and awaits what it returns. */
export function trailmark(page: Page, method: string, ...args: unknown[]): Promise<unknown> {
  return page.evaluate(
    async ([name, rest]) => {
      const api = (window as unknown as { trailmark: TrailmarkGlobal }).trailmark;
      await api(name, ...rest);
    },
    [method, args] as const,
  );
}

/** Tracks `chaos_tick` events with props `{ n }` for each n, from inside the page; returns the ns. */
export async function trackTicks(page: Page, from: number, count: number): Promise<number[]> {
  const ns = Array.from({ length: count }, (_, i) => from + i);
  await page.evaluate(trackTicksInPage, ns);
  return ns;
}

/** Waits until the script tag has loaded: its global answers `dropped` with the counts (a stub answers nothing). */
export async function waitForTracker(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const api = (window as unknown as { trailmark?: TrailmarkGlobal }).trailmark;
    return typeof api === 'function' && typeof api('dropped') === 'object';
  });
}
