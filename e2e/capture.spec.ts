// The capture features of issue 24 in a real Chromium, from the built script tag: JavaScript errors, form start and
// abandonment, not-found pages and dead clicks. The recorder is the oracle: what the page sent.
import { expect, type Page, test } from '@playwright/test';
import { control, events, recorded } from './support/recorder-client.js';

const of = async (type: string) => (await events()).filter((e) => e.type === type);

test.beforeEach(async () => {
  await control({ reset: true, script: [], delayMs: 0 });
});

test('errors: an uncaught error and an unhandled rejection arrive once each, redacted, with source and line', async ({ page }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto('/pages/capture.html');
  await expect.poll(async () => (await of('pageview')).length).toBe(1);
  for (let i = 0; i < 3; i++) await page.click('#broken');
  await page.click('#rejects');
  await expect.poll(async () => (await of('js_error')).length).toBe(2);
  const [thrown, rejected] = (await of('js_error')).map((e) => e.props!);
  expect(thrown).toMatchObject({ kind: 'error', name: 'TypeError', source: expect.stringMatching(/\/pages\/capture\.js$/), line: 4 });
  expect(thrown!.message).toMatch(/^Uncaught TypeError: no account for \[redacted:/);
  expect(thrown!.stack).toContain('capture.js');
  expect(rejected).toMatchObject({ kind: 'rejection', name: 'Error', message: 'payment declined' });
  expect((await recorded()).map((r) => r.body).join('\n')).not.toContain('jane.doe');
  // The page saw its own errors as before: the SDK only listens.
  expect(pageErrors).toHaveLength(4);
});

test('forms: start at the first input, abandonment with the last field when the page is left, never values', async ({ page }) => {
  await page.goto('/pages/capture.html');
  await expect.poll(async () => (await of('pageview')).length).toBe(1);
  await page.fill('input[name=email]', 'jane.doe@example.com');
  await page.fill('input[name=company]', 'Acme Secret Ltd');
  await page.focus('select[name=plan]');
  await page.goto('/pages/blank.html');
  await expect
    .poll(async () => (await of('form_abandon')).map((e) => e.props))
    .toEqual([{ id: 'signup', name: 'signup', last_field: 'plan', fields: 2 }]);
  expect((await of('form_start')).map((e) => e.props)).toEqual([{ id: 'signup', name: 'signup', field: 'email' }]);
  const bodies = (await recorded()).map((r) => r.body).join('\n');
  expect(bodies).not.toContain('jane.doe');
  expect(bodies).not.toContain('Acme Secret');
});

test('forms: a submitted form is not abandoned', async ({ page }) => {
  await page.goto('/pages/capture.html');
  await expect.poll(async () => (await of('pageview')).length).toBe(1);
  await page.fill('input[name=email]', 'jane.doe@example.com');
  await page.click('button[type=submit]');
  await expect.poll(async () => (await of('form_submit')).length).toBe(1);
  await page.goto('/pages/blank.html');
  await expect.poll(async () => (await of('form_start')).length).toBe(1);
  await page.waitForTimeout(300);
  expect(await of('form_abandon')).toEqual([]);
});

test('404: a page whose body has data-tm-404 sends a not_found pageview', async ({ page }) => {
  await page.goto('/pages/missing.html');
  await expect
    .poll(async () => (await of('pageview')).map((e) => e.props))
    .toEqual([expect.objectContaining({ navigation: 'load', not_found: true })]);
});

test('dead clicks: a click on an element that changes nothing is a dead click; one that changes the page is not', async ({ page }) => {
  await page.goto('/pages/capture.html');
  await expect.poll(async () => (await of('pageview')).length).toBe(1);
  await page.click('#photo');
  await expect
    .poll(async () => (await of('click')).map((e) => e.props))
    .toEqual([{ tag: 'div', id: 'photo', text: 'Red running shoe, side view', dead: true }]);
  // The h1 changes when clicked (the page's own script): not dead.
  await page.evaluate(() => {
    const title = document.getElementById('title')!;
    title.addEventListener('click', () => title.classList.add('open'));
  });
  await page.click('#title');
  await page.waitForTimeout(1500);
  expect((await of('click')).filter((e) => e.props?.id === 'title')).toEqual([]);
});

/**
 * Starts listening in `tab` for the `storage` event that says another tab set `key` to `value` (`null`: removed);
 * resolves to a wait for it. The tracker's own listener, added at its start, runs before this one.
 */
async function watchStorage(tab: Page, key: string, value: string | null): Promise<() => Promise<void>> {
  await tab.evaluate(
    ([k, v]) => {
      (window as unknown as { storageSeen: Promise<void> }).storageSeen = new Promise((resolve) =>
        addEventListener('storage', (event) => event.key === k && (event.newValue ?? null) === v && resolve()),
      );
    },
    [key, value] as const,
  );
  return () => tab.evaluate(() => (window as unknown as { storageSeen: Promise<void> }).storageSeen);
}

test('identify with traits; a reset and a denial in one tab reach the other; the denial is kept on reload until consent is given', async ({
  context,
  page,
}) => {
  const call = (tab: typeof page, ...args: unknown[]) =>
    tab.evaluate((rest) => (window as unknown as { trailmark: (...a: unknown[]) => unknown }).trailmark(...rest), args);
  await page.goto('/pages/capture.html');
  const other = await context.newPage();
  await other.goto('/pages/capture.html');
  await expect.poll(async () => (await of('pageview')).length).toBe(2);
  await call(page, 'identify', 'alice', { plan: 'pro' });
  await call(other, 'identify', 'alice');
  await expect.poll(async () => (await of('identify')).map((e) => [e.user_id, e.props])).toEqual([['alice', { plan: 'pro' }]]);

  // Logout in the first tab: the second tab's next event is anonymous, under a new visitor id.
  const visitor = (await of('identify'))[0]!.visitor_id;
  // A reset reaches the other tab as a `storage` event, which the browser delivers when it does: the second tab
  // tracks once that event has come. Tracking at once raced it: at load 12 the event came after the track, which
  // still carried the user.
  const reset = await watchStorage(other, 'tm_vid', null);
  await call(page, 'reset');
  await reset();
  await call(other, 'track', 'after_reset');
  await expect.poll(async () => (await of('after_reset')).length).toBe(1);
  const [after] = await of('after_reset');
  expect(after!.user_id).toBeUndefined();
  expect(after!.visitor_id).not.toBe(visitor);

  // The site owner opts their own browser out in one tab: the other tab and later pages send nothing.
  const denied = await watchStorage(other, 'tm_consent', 'denied');
  await call(page, 'consent', 'denied');
  await denied();
  await call(other, 'track', 'while_denied');
  await page.reload();
  await call(page, 'track', 'while_denied');
  await page.waitForTimeout(800);
  expect(await of('while_denied')).toEqual([]);
  expect((await of('pageview')).length).toBe(2);
  const granted = await watchStorage(other, 'tm_consent', 'granted');
  await call(page, 'consent', 'granted');
  await granted();
  await call(other, 'track', 'granted_again');
  await expect.poll(async () => (await of('granted_again')).length).toBe(1);
});
