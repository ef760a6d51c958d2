import { expect, test } from '@playwright/test';
import { control, events, recorded } from './support/recorder-client.js';

const types = async () => (await events()).map((e) => e.type);

test.beforeEach(async () => {
  await control({ reset: true, script: [], delayMs: 0 });
});

test('the built trailmark.min.js starts from its data attributes and replays the stub queue in order', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  await page.goto('/pages/site.html');
  await expect.poll(types).toEqual(expect.arrayContaining(['before_load', 'pageview']));
  const all = await events();
  const queued = all.find((e) => e.type === 'before_load')!;
  expect(queued.props).toEqual({ queued: 1 });
  expect(queued.user_id).toBeUndefined();
  expect(all.find((e) => e.type === 'pageview')!.user_id).toBe('user-1');
  expect(await page.evaluate(() => typeof (window as unknown as { trailmark: unknown }).trailmark)).toBe('function');
  expect(errors).toEqual([]);
});

test('the global answers known methods and reports, never throws, an unknown one or a bad event type', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto('/pages/site.html');
  await expect.poll(types).toContain('pageview');
  const answers = await page.evaluate(() => {
    const tm = (window as unknown as { trailmark: (...args: unknown[]) => unknown }).trailmark;
    tm('no_such_method');
    tm('track', 42);
    tm('track', 'after_load', { n: 1 });
    return { dropped: tm('dropped'), flushed: tm('flush') instanceof Promise };
  });
  expect(answers).toEqual({ dropped: { invalid: 1 }, flushed: true });
  await expect.poll(types).toContain('after_load');
  expect(errors).toEqual([]);
});

test('clicks: a data-tm-event element sends its named event with its props, links carry their flags', async ({ page }) => {
  await page.goto('/pages/site.html');
  await expect.poll(types).toContain('pageview');
  await page.click('#book');
  await expect.poll(types).toContain('booking_created');
  const booking = (await events()).find((e) => e.type === 'booking_created')!;
  expect(booking.props).toMatchObject({ plan: 'pro' });
  // The links stay on the page (no navigation, no download): only what the tracker saw of the click matters.
  await page.evaluate(() => {
    for (const id of ['outbound', 'download']) {
      const link = document.getElementById(id)!;
      link.addEventListener('click', (event) => event.preventDefault());
      link.click();
    }
  });
  const clicks = async () => (await events()).filter((e) => e.type === 'click').map((e) => e.props);
  await expect.poll(clicks).toContainEqual(expect.objectContaining({ outbound: true, tag: 'a' }));
  await expect.poll(clicks).toContainEqual(expect.objectContaining({ download: true, href: expect.stringContaining('/pages/report.pdf') }));
});

test('clicks: three quick clicks on one element are flagged as a rage click', async ({ page }) => {
  await page.goto('/pages/site.html');
  await expect.poll(types).toContain('pageview');
  await page.click('#title', { clickCount: 3 });
  await expect.poll(async () => (await events()).filter((e) => e.type === 'click' && e.props?.rage === true).length).toBeGreaterThan(0);
});

test('visibility: data-heartbeat reports engaged time while the page stays open', async ({ page }) => {
  await page.route('**/pages/site.html', async (route) => {
    const html = await (await route.fetch()).text();
    await route.fulfill({
      body: html.replace('data-flush-interval="300"', 'data-flush-interval="300" data-heartbeat="400"'),
      contentType: 'text/html',
    });
  });
  await page.goto('/pages/site.html');
  await expect.poll(types).toContain('pageview');
  await expect
    .poll(async () => (await events()).filter((e) => e.type === 'heartbeat').map((e) => e.props?.engaged_ms))
    .toContainEqual(expect.any(Number));
  const beats = (await events()).filter((e) => e.type === 'heartbeat');
  expect(beats.every((e) => (e.props?.engaged_ms as number) > 0)).toBe(true);
});

test('scroll depth reports each milestone once', async ({ page }) => {
  await page.goto('/pages/site.html');
  await expect.poll(types).toContain('pageview');
  for (const y of [1200, 2400, 3600, 10_000]) {
    await page.evaluate((top) => window.scrollTo(0, top), y);
    await page.waitForTimeout(100);
  }
  await expect
    .poll(async () => (await events()).filter((e) => e.type === 'scroll_depth' && e.props?.milestone).map((e) => e.props?.milestone))
    .toEqual([25, 50, 75, 100]);
});

test('a form submission never carries a password, card number or e-mail value', async ({ page }) => {
  await page.goto('/pages/site.html');
  await expect.poll(types).toContain('pageview');
  await page.fill('input[name=company]', 'Acme 4111 1111 1111 1111');
  await page.fill('input[name=email]', 'jane.secret@example.com');
  await page.fill('input[name=password]', 'hunter2-very-secret');
  await page.fill('input[name=card]', '4242 4242 4242 4242');
  await page.fill('textarea[name=message]', 'call me on +44 20 7946 0958');
  await page.click('button[type=submit]');
  await expect.poll(types).toContain('form_submit');
  const submit = (await events()).find((e) => e.type === 'form_submit')!;
  expect(submit.props).toMatchObject({ id: 'contact' });
  const bodies = (await recorded()).map((r) => r.body).join('\n');
  for (const secret of ['hunter2-very-secret', 'jane.secret', '4242 4242', '4242424242424242', '4111 1111', '7946 0958']) {
    expect(bodies).not.toContain(secret);
  }
  expect(bodies).toContain('[redacted:card]');
});

test('text copy reports the length, never the text', async ({ page }) => {
  await page.goto('/pages/site.html');
  await expect.poll(types).toContain('pageview');
  await page.evaluate(() => {
    const range = document.createRange();
    range.selectNodeContents(document.getElementById('copyme')!);
    getSelection()!.removeAllRanges();
    getSelection()!.addRange(range);
    document.getElementById('copyme')!.dispatchEvent(new ClipboardEvent('copy', { bubbles: true }));
  });
  await expect.poll(types).toContain('text_copy');
  const bodies = (await recorded()).map((r) => r.body).join('\n');
  expect(bodies).not.toContain('Copy this sentence');
});

test('leaving the page sends time on page, visibility and web vitals', async ({ page }) => {
  await page.goto('/pages/site.html');
  await expect.poll(types).toContain('pageview');
  await page.click('#title');
  await page.goto('/pages/blank.html');
  await expect.poll(types, { timeout: 10_000 }).toEqual(expect.arrayContaining(['page_leave', 'page_visibility', 'web_vital']));
  const vitals = (await events()).filter((e) => e.type === 'web_vital').map((e) => e.props?.name);
  expect(vitals).toEqual(expect.arrayContaining(['TTFB', 'FCP']));
});

/** Serves capture.html with an image held back until `release()`: the page stays before its `load` event till then. */
async function holdLoad(page: import('@playwright/test').Page) {
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  await page.route('**/pages/capture.html', async (route) => {
    const html = await (await route.fetch()).text();
    await route.fulfill({ body: html.replace('</body>', '<img src="/pages/held.png" alt=""></body>'), contentType: 'text/html' });
  });
  await page.route('**/pages/held.png', async (route) => {
    await held;
    await route.fulfill({ status: 404, body: '' });
  });
  const later: string[] = [];
  page.on('request', (request) => request.url().includes('trailmark-later') && later.push(request.url()));
  await page.goto('/pages/capture.html', { waitUntil: 'domcontentloaded' });
  await expect.poll(types).toContain('pageview');
  return { later, release, loaded: () => page.evaluate(() => document.readyState === 'complete') };
}

test('errors thrown before the load event are sent by the second file, fetched after load', async ({ page }) => {
  const { later, release, loaded } = await holdLoad(page);
  await page.evaluate(() => {
    setTimeout(() => {
      throw new TypeError('failed while starting');
    });
    void Promise.reject(new Error('start-up rejection'));
  });
  await page.waitForTimeout(300);
  // Nothing of the second file's yet: the page has not loaded, and it has not been asked for.
  expect(await loaded()).toBe(false);
  expect(later).toEqual([]);
  expect(await types()).toEqual(['pageview']);
  release();
  const kinds = async () => (await events()).filter((e) => e.type === 'js_error').map((e) => String(e.props?.kind));
  await expect.poll(async () => (await kinds()).sort()).toEqual(['error', 'rejection']);
  expect(later).toHaveLength(1);
});

test('a visitor acting before the load event brings the second file at once: early clicks and form input arrive', async ({ page }) => {
  const { later, release, loaded } = await holdLoad(page);
  await page.click('#rejects');
  await page.fill('[name=company]', 'Acme');
  await page.click('[type=submit]');
  await expect.poll(types, { timeout: 10_000 }).toEqual(expect.arrayContaining(['click', 'js_error', 'form_start', 'form_submit']));
  // All of it before the page's load event, which the held image still keeps back.
  expect(await loaded()).toBe(false);
  const all = await events();
  expect(all.filter((e) => e.type === 'click').map((e) => e.props?.tag)).toEqual(['button', 'button']);
  expect(all.find((e) => e.type === 'form_start')?.props).toMatchObject({ name: 'signup', field: 'company' });
  expect(later).toHaveLength(1);
  release();
});

test('SPA navigation through history.pushState counts a pageview with the previous URL as referrer', async ({ page }) => {
  await page.goto('/pages/site.html');
  await expect.poll(types).toContain('pageview');
  await page.evaluate(() => history.pushState({}, '', '/pages/pricing'));
  await expect.poll(async () => (await events()).filter((e) => e.type === 'pageview').length).toBe(2);
  const second = (await events()).filter((e) => e.type === 'pageview')[1]!;
  expect(second.path).toBe('/pages/pricing');
  expect(second.referrer).toContain('/pages/site.html');
});

test('a blocked script leaves the stub working and the page unharmed', async ({ page }) => {
  const since = Date.now();
  await page.route('**/trailmark.min.js', (route) => route.abort());
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto('/pages/site.html');
  const queued = await page.evaluate(() => {
    const tm = (window as unknown as { trailmark: ((...args: unknown[]) => void) & { q: unknown[] } }).trailmark;
    tm('track', 'after_block');
    return tm.q.length;
  });
  expect(queued).toBe(3);
  expect(errors).toEqual([]);
  // Long enough for a tracker, had one started, to send; what an earlier test's page sent while closing can land
  // after this test's reset, so only events made since this test began count.
  await page.waitForTimeout(1000);
  expect((await events()).filter((e) => e.ts >= since)).toEqual([]);
});

/** Serves site.html with its script tag's `data-flush-interval` attribute followed by `attributes`. */
const withAttributes = (page: import('@playwright/test').Page, attributes: string) =>
  page.route('**/pages/site.html', async (route) => {
    const html = await (await route.fetch()).text();
    await route.fulfill({
      body: html.replace('data-flush-interval="300"', `data-flush-interval="300" ${attributes}`),
      contentType: 'text/html',
    });
  });
/** What the page left on the device: localStorage keys and IndexedDB database names. */
const leftOnDevice = (page: import('@playwright/test').Page) =>
  page.evaluate(async () => ({ storage: Object.keys(localStorage), databases: (await indexedDB.databases()).map((db) => db.name) }));

test('data-persistence="memory" is cookieless for real: no localStorage, no cookie, no IndexedDB database', async ({ page }) => {
  await withAttributes(page, 'data-persistence="memory"');
  await page.goto('/pages/site.html');
  await expect.poll(types).toContain('pageview');
  expect(await leftOnDevice(page)).toEqual({ storage: [], databases: [] });
  expect(await page.context().cookies()).toEqual([]);
});

test('data-persistence="consent" sends cookieless until consent is given, then keeps the same visitor in localStorage', async ({
  page,
}) => {
  await withAttributes(page, 'data-persistence="consent"');
  await page.goto('/pages/site.html');
  await expect.poll(types).toContain('pageview');
  expect(await leftOnDevice(page)).toEqual({ storage: [], databases: [] });
  await page.evaluate(() => {
    const tm = (window as unknown as { trailmark: (...args: unknown[]) => unknown }).trailmark;
    tm('consent', 'granted');
    tm('register', { app: '2.1' });
    tm('track', 'after_consent');
  });
  await expect.poll(types).toContain('after_consent');
  const all = await events();
  const visitor = all.find((e) => e.type === 'pageview')!.visitor_id;
  expect(all.find((e) => e.type === 'after_consent')).toMatchObject({ visitor_id: visitor, props: { app: '2.1' } });
  const stored = await page.evaluate(() => ({ vid: localStorage.getItem('tm_vid'), props: localStorage.getItem('tm_props') }));
  expect(stored).toEqual({ vid: visitor, props: '{"app":"2.1"}' });
});

test('reset() from the global: later events carry a new visitor and no user_id', async ({ page }) => {
  await page.goto('/pages/site.html');
  await expect.poll(types).toContain('pageview');
  await page.evaluate(() => {
    const tm = (window as unknown as { trailmark: (...args: unknown[]) => unknown }).trailmark;
    tm('reset');
    tm('track', 'after_logout');
  });
  await expect.poll(types).toContain('after_logout');
  const all = await events();
  const pageview = all.find((e) => e.type === 'pageview')!;
  const after = all.find((e) => e.type === 'after_logout')!;
  expect(pageview.user_id).toBe('user-1');
  expect(after.user_id).toBeUndefined();
  expect(after.visitor_id).not.toBe(pageview.visitor_id);
});
