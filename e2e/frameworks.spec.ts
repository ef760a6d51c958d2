import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { APP_ENDPOINTS, buildFrameworkApps } from './support/app-builds.mjs';
import { hydrated, pageErrors, settledPageviews } from './support/app-pageviews.js';
import { type AppServer, startApp, startForwarder } from './support/app-server.js';
import { PORTS, RECEIVER_URL } from './support/ports.js';
import { receiver } from './support/receiver-client.js';

// The Vue and SvelteKit recipes of docs/frameworks.md, each in a minimal app under e2e/frameworks built with Vite
// against the packed trailmark tarball (npm pack of the built package, unpacked where the apps resolve it), served
// by `vite preview`, driven in Chromium; the oracle is what the reference receiver stored.

const repo = resolve(import.meta.dirname, '..');
const vite = resolve(repo, 'node_modules/vite/bin/vite.js');
const apps = { vue: resolve(repo, 'e2e/frameworks/vue'), svelte: resolve(repo, 'e2e/frameworks/sveltekit') };
const VUE = `http://127.0.0.1:${PORTS.vue}`;
const SVELTE = `http://127.0.0.1:${PORTS.svelte}`;
const servers: AppServer[] = [];
let forwarder: Awaited<ReturnType<typeof startForwarder>>;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  // npm test builds them beside the unit tests (npm run build:apps); alone, this builds what is stale. The builds send
  // to a port of this spec's own, passed on to this worker's receiver.
  await buildFrameworkApps();
  forwarder = await startForwarder(APP_ENDPOINTS.frameworks, RECEIVER_URL);
  const preview = (port: number) => [vite, 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'];
  servers.push(await startApp(process.execPath, preview(PORTS.vue), apps.vue, `${VUE}/`));
  servers.push(await startApp(process.execPath, preview(PORTS.svelte), apps.svelte, `${SVELTE}/`));
});

test.afterAll(async () => {
  for (const server of servers) await server.stop();
  await forwarder?.close();
});

test.beforeEach(async () => {
  await receiver.reset();
});

test('Vue 3 + Vue Router recipe: a pageview per navigation with the route title, query-only pages, Back as pop', async ({ page }) => {
  const errors = pageErrors(page);
  await page.goto(`${VUE}/`);
  await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
  await page.getByRole('link', { name: 'About' }).click();
  await expect(page.getByRole('heading', { name: 'About' })).toBeVisible();
  await page.getByRole('link', { name: 'Search' }).click();
  await page.getByRole('link', { name: 'Boots instead' }).click();
  await expect(page).toHaveURL(/q=boots/);
  await page.goBack();
  await expect(page).toHaveURL(/q=shoes/);
  expect(await settledPageviews(page, 5)).toEqual([
    ['/', 'load', 'Home · Vue shop', undefined],
    ['/about', 'push', 'About · Vue shop', `${VUE}/`],
    ['/search', 'push', 'Search · Vue shop', `${VUE}/about`],
    ['/search', 'push', 'Search · Vue shop', `${VUE}/search?q=shoes`],
    ['/search', 'pop', 'Search · Vue shop', `${VUE}/search?q=boots`],
  ]);
  expect(errors).toEqual([]);
});

test('SvelteKit recipe: prerendered (the server render tracks nothing), then a pageview per navigation, Back as pop', async ({ page }) => {
  const errors = pageErrors(page);
  await page.goto(`${SVELTE}/`);
  await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
  await hydrated();
  await page.getByRole('link', { name: 'About' }).click();
  await expect(page.getByRole('heading', { name: 'About' })).toBeVisible();
  await page.goBack();
  await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
  expect(await settledPageviews(page, 3)).toEqual([
    ['/', 'load', 'Home · Svelte shop', undefined],
    ['/about', 'push', 'About · Svelte shop', `${SVELTE}/`],
    ['/', 'pop', 'Home · Svelte shop', `${SVELTE}/about`],
  ]);
  expect(errors).toEqual([]);
});
