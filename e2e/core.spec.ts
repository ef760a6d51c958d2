import { expect, test } from '@playwright/test';
import { acceptedIds, control, openCore, recorded } from './support/recorder-client.js';

type Win = { tm: { track(type: string, props?: object): void; flush(): Promise<void> } };

test.beforeEach(async () => {
  await control({ reset: true, script: [], delayMs: 0 });
});

test('events queued in IndexedDB survive a reload and arrive exactly once', async ({ page }) => {
  await control({ script: Array.from({ length: 20 }, () => ({ status: 503 })) });
  await openCore(page, '?interval=200');
  await page.evaluate(() => {
    for (let i = 0; i < 5; i++) (window as unknown as Win).tm.track('persisted', { i });
  });
  await expect.poll(async () => (await recorded()).length).toBeGreaterThan(0);
  const created = await page.evaluate(() => JSON.parse(sessionStorage.getItem('tm-created') ?? '[]') as string[]);
  expect(created).toHaveLength(5);
  await control({ script: [] });
  await page.reload();
  await page.waitForFunction(() => (window as unknown as { tmReady?: boolean }).tmReady === true);
  await expect.poll(acceptedIds, { timeout: 15_000 }).toHaveLength(5);
  expect((await acceptedIds()).sort()).toEqual([...created].sort());
});

test('events still in memory leave by keepalive when the page is navigated away', async ({ page }) => {
  await openCore(page, '?interval=60000&batch=1000');
  await page.evaluate(() => {
    for (let i = 0; i < 3; i++) (window as unknown as Win).tm.track('before_leave', { i });
  });
  const created = await page.evaluate(() => JSON.parse(sessionStorage.getItem('tm-created') ?? '[]') as string[]);
  await page.click('#away');
  await page.waitForURL('**/blank.html');
  await expect.poll(acceptedIds).toEqual(expect.arrayContaining(created));
});

test('events leave when the tab is closed', async ({ context }) => {
  const page = await context.newPage();
  await openCore(page, '?interval=60000&batch=1000&queue=memory');
  await page.evaluate(() => (window as unknown as Win).tm.track('closing'));
  const created = await page.evaluate(() => JSON.parse(sessionStorage.getItem('tm-created') ?? '[]') as string[]);
  await page.close({ runBeforeUnload: true });
  await expect.poll(acceptedIds).toEqual(created);
});

test('two tabs share the queue and never send the same event twice', async ({ context }) => {
  await control({ delayMs: 150 });
  const pages = [await context.newPage(), await context.newPage()];
  for (const page of pages) await openCore(page, '?interval=100&batch=5');
  await Promise.all(
    pages.map((page, tab) =>
      page.evaluate(async (tabIndex) => {
        for (let i = 0; i < 40; i++) {
          (window as unknown as Win).tm.track('tab_event', { tab: tabIndex, i });
          await new Promise((r) => setTimeout(r, 10));
        }
      }, tab),
    ),
  );
  await expect.poll(async () => (await acceptedIds()).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(80);
  const sent = (await recorded()).flatMap((r) => r.ids);
  expect(sent).toHaveLength(80);
  expect(new Set(sent).size).toBe(80);
});
