// The ad-blocker recipes (docs/script-tag.md): the script under a file name the site chooses and the collect path on
// the site's own origin — with the demo's static server (scripts/serve-static.mjs `files` and `proxy`), with nginx
// (the doc's server block, where Debian's nginx is installed) and with the doc's Cloudflare Worker in workerd in
// front of the D1 Worker. A page whose requests for the usual names are blocked, as a filter list blocks them,
// still delivers its events.
import { resolve } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { ensureBundle, seedSite, startWorker } from '../packages/d1-worker/scripts/local.mjs';
import { type RunningReceiver, startReceiver } from '../packages/receiver/src/index.js';
import { type StaticServer, startStaticServer } from '../scripts/serve-static.mjs';
import { LATER, nginxBinary, type Recipe, SCRIPT, startNginxRecipe, startWorkerRecipe } from './support/own-origin-recipes.js';

const root = resolve(import.meta.dirname, '..');
let receiver: RunningReceiver;
let site: StaticServer;

test.beforeAll(async () => {
  receiver = await startReceiver({
    port: 0,
    memory: true,
    dev: true,
    sites: [{ id: 'demo', writeKey: 'pk_demo', readKey: 'sk_demo', origins: [] }],
    corsAny: true,
    rateLimit: { perSecond: 0, burst: 1 },
    retention: { intervalMs: 0 },
    log: () => undefined,
  });
  site = await startStaticServer({
    root: resolve(root, 'e2e/pages/own-origin'),
    port: 0,
    files: { '/js/site-7f3a.js': SCRIPT, '/js/site-7f3a-2.js': LATER },
    proxy: { '/s/e': `${receiver.url}/v1/batch` },
  });
});

test.afterAll(async () => {
  await site?.close();
  await receiver?.close();
});

/** Opens the page with the usual names blocked; resolves once `stored()` counts its pageview, and checks the names. */
async function deliversPastFilterList(page: Page, url: string, stored: (type: string) => Promise<number>) {
  const blocked: string[] = [];
  // What filter lists match: the SDK's file name and the backends' collect paths, on any host.
  await page.route(/trailmark|\/v1\/batch|\/track\/batch/, (route) => {
    blocked.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  const seen: string[] = [];
  page.on('request', (request) => seen.push(new URL(request.url()).pathname));
  await page.goto(`${url}/`);
  await expect.poll(() => stored('pageview'), { timeout: 15_000 }).toBe(1);
  // Clicked before or after the second file (clicks) arrives: either way the click is sent.
  await page.click('button');
  await expect.poll(() => stored('click'), { timeout: 15_000 }).toBe(1);
  expect(blocked).toEqual([]);
  expect(seen).toContain('/js/site-7f3a.js');
  expect(seen).toContain('/js/site-7f3a-2.js');
  expect(seen).toContain('/s/e');
}

const receiverCount = async (type: string) => {
  const answer = await fetch(`${receiver.url}/_trailmark/events?site_id=demo&type=${type}`);
  return ((await answer.json()) as { events: unknown[] }).events.length;
};

test('the renamed script and the own-origin collect path get past a filter list that blocks the usual names', async ({ page }) => {
  await deliversPastFilterList(page, site.url, receiverCount);
});

test('the nginx recipe, as the doc writes it, gets past the same filter list', async ({ page }) => {
  const nginx = nginxBinary();
  test.skip(!nginx, 'needs nginx (apt-get install nginx-light; .ci/run installs it)');
  const before = { pageview: await receiverCount('pageview'), click: await receiverCount('click') };
  const recipe = await startNginxRecipe(nginx as string, receiver.url);
  try {
    await deliversPastFilterList(
      page,
      recipe.url,
      async (type) => (await receiverCount(type)) - (before[type as keyof typeof before] ?? 0),
    );
  } finally {
    await recipe.close();
  }
});

test('the Cloudflare Worker recipe, as the doc writes it, runs in workerd in front of the D1 Worker', async ({ page }) => {
  test.setTimeout(120_000);
  await ensureBundle();
  const d1 = await startWorker();
  let recipe: Recipe | undefined;
  try {
    recipe = await startWorkerRecipe(() => d1.url.href);
    // The D1 Worker checks the page's Origin against the site's: the recipe's origin is the site's.
    await seedSite(d1.db, { site: 'demo', writeKey: 'pk_demo', secretKey: 'sk_demo', website: recipe.url });
    await deliversPastFilterList(page, recipe.url, async (type) => {
      const row = await d1.db
        .prepare("SELECT count(*) AS n FROM events WHERE site_id = 'demo' AND type = ?")
        .bind(type)
        .first<{ n: number }>();
      return row?.n ?? 0;
    });
  } finally {
    await recipe?.close();
    await d1.mf.dispose();
  }
});
