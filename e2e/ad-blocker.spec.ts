// The ad-blocker recipe (docs/script-tag.md): the script under a file name the site chooses and the collect path on
// the site's own origin, here with the demo's static server (scripts/serve-static.mjs `files` and `proxy`). A page
// whose requests for the usual names are blocked, as a filter list blocks them, still delivers its events.
import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { type RunningReceiver, startReceiver } from '../packages/receiver/src/index.js';
import { type StaticServer, startStaticServer } from '../scripts/serve-static.mjs';

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
    files: {
      '/js/site-7f3a.js': resolve(root, 'packages/sdk/dist/trailmark.min.js'),
      '/js/site-7f3a-2.js': resolve(root, 'packages/sdk/dist/trailmark-later.min.js'),
    },
    proxy: { '/s/e': `${receiver.url}/v1/batch` },
  });
});

test.afterAll(async () => {
  await site?.close();
  await receiver?.close();
});

test('the renamed script and the own-origin collect path get past a filter list that blocks the usual names', async ({ page }) => {
  const blocked: string[] = [];
  // What filter lists match: the SDK's file name and the backends' collect paths, on any host.
  await page.route(/trailmark|\/v1\/batch|\/track\/batch/, (route) => {
    blocked.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  const seen: string[] = [];
  page.on('request', (request) => seen.push(new URL(request.url()).pathname));
  await page.goto(`${site.url}/`);
  // Clicked before or after the second file (clicks) arrives: either way the click is sent.
  await page.click('button');
  for (const type of ['pageview', 'click'])
    await expect
      .poll(async () => {
        const answer = await fetch(`${receiver.url}/_trailmark/events?site_id=demo&type=${type}`);
        return ((await answer.json()) as { events: unknown[] }).events.length;
      })
      .toBe(1);
  expect(blocked).toEqual([]);
  expect(seen).toContain('/js/site-7f3a.js');
  expect(seen).toContain('/js/site-7f3a-2.js');
  expect(seen).toContain('/s/e');
});
