import { expect, type Page } from '@playwright/test';
import { receiver } from './receiver-client.js';

/** A stored pageview as the framework tests compare it. */
export type Row = [path: string, navigation: unknown, title: string | undefined, referrer: string | undefined];

/** The pageviews the receiver stored, oldest first. */
export const storedPageviews = async (): Promise<Row[]> =>
  (await receiver.events({ type: 'pageview' })).map((e): Row => [e.path, e.props?.navigation, e.title, e.referrer]);

/** Waits for the first pageview, tracked after hydration: a link clicked before it would be a full page load. */
export async function hydrated(): Promise<void> {
  await expect.poll(async () => (await storedPageviews()).length, { timeout: 15_000 }).toBe(1);
}

/** The stored pageviews, once `count` are there and a second more has brought no extra one (a double count). */
export async function settledPageviews(page: Page, count: number): Promise<Row[]> {
  await expect.poll(storedPageviews, { timeout: 15_000 }).toHaveLength(count);
  await page.waitForTimeout(1000);
  return storedPageviews();
}

/**
 * Console errors and uncaught exceptions of `page`. The browser's own request for /favicon.ico, on pages that name
 * no icon, is not the app's error.
 */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico')) errors.push(message.text());
  });
  return errors;
}
