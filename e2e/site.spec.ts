// examples/static-site with the built trailmark.min.js, against the reference receiver: every capture feature,
// asserted on what the receiver stored (its test-only inspection endpoints, e2e/support/receiver-client.ts).
import { test as base, expect } from '@playwright/test';
import type { TrailmarkEvent } from '@trailmark/protocol';
import { type CreatedLog, expectExactlyOnce, recordCreatedEvents, storedFor } from './support/created-events.js';
import { trackTicks, waitForTracker } from './support/page-api.js';
import { SITE_URL } from './support/ports.js';
import { receiver } from './support/receiver-client.js';

const test = base.extend<{ created: CreatedLog }>({
  created: async ({ context }, use) => {
    await use(await recordCreatedEvents(context));
  },
});

/** This test's stored events (by the visitors its pages created events for), oldest first by client time. */
const stored = async (created: CreatedLog, type?: string): Promise<TrailmarkEvent[]> =>
  (await storedFor(created)).filter((event) => type === undefined || event.type === type).sort((a, b) => a.ts - b.ts || a.seq - b.seq);

/** Scrolls to `y` and waits two animation frames, so a scroll listener that measures once per frame has run. */
const scrollTo = (page: import('@playwright/test').Page, y: number) =>
  page.evaluate(
    (top) =>
      new Promise<void>((resolve) => {
        window.scrollTo(0, top);
        requestAnimationFrame(() => requestAnimationFrame(() => resolve()));
      }),
    y,
  );

test.beforeEach(async () => {
  await receiver.reset();
});

test.afterEach(async () => {
  // The site only sends what the receiver accepts: no refused request, no refused event.
  expect(await receiver.rejections()).toEqual([]);
});

test('counts a pageview on every page of a multi-page visit, in one session, with the previous page as referrer', async ({
  page,
  created,
}) => {
  await page.goto(`${SITE_URL}/`);
  await page.click('nav a[href="/pricing.html"]');
  await page.waitForURL('**/pricing.html');
  await page.click('nav a[href="/guide.html"]');
  await page.waitForURL('**/guide.html');
  await waitForTracker(page);
  await expect.poll(async () => (await stored(created, 'pageview')).map((e) => e.path)).toEqual(['/', '/pricing.html', '/guide.html']);
  const views = await stored(created, 'pageview');
  expect(views.map((e) => e.referrer)).toEqual([undefined, `${SITE_URL}/`, `${SITE_URL}/pricing.html`]);
  expect(views.map((e) => e.props?.navigation)).toEqual(['load', 'load', 'load']);
  expect(new Set(views.map((e) => e.session_id)).size).toBe(1);
  expect(views.map((e) => e.title)).toEqual(['Home · Northwind Trails', 'Pricing · Northwind Trails', 'Trail guide · Northwind Trails']);
  // Each page left reports its time on page, with the left page's path.
  await expect.poll(async () => (await stored(created, 'page_leave')).map((e) => e.path)).toEqual(['/', '/pricing.html']);
});

test('a data-tm-event button sends its named event; link clicks carry outbound and download flags, mailto no address', async ({
  page,
  created,
}) => {
  await page.goto(`${SITE_URL}/`);
  await waitForTracker(page);
  await page.click('#book-demo');
  await expect.poll(async () => (await stored(created, 'booking_created')).map((e) => e.props)).toEqual([{ plan: 'pro' }]);

  await page.goto(`${SITE_URL}/links.html`);
  await waitForTracker(page);
  // Stay on the page: the outbound and mailto links would leave it (and there is no internet here).
  await page.evaluate(() => {
    for (const id of ['outbound-link', 'mail-link'])
      document.getElementById(id)!.addEventListener('click', (event) => event.preventDefault());
  });
  await page.click('#outbound-link');
  const download = page.waitForEvent('download');
  await page.click('#download-link');
  await (await download).cancel();
  await page.click('#mail-link');
  await expect.poll(async () => (await stored(created, 'click')).length).toBe(3);
  const clicks = (await stored(created, 'click')).map((e) => e.props);
  expect(clicks).toEqual([
    expect.objectContaining({ tag: 'a', id: 'outbound-link', href: 'https://example.com/trails?from=northwind', outbound: true }),
    expect.objectContaining({ tag: 'a', id: 'download-link', href: `${SITE_URL}/files/northwind-trail-map.pdf`, download: true }),
    expect.objectContaining({ tag: 'a', id: 'mail-link', href: 'mailto:' }),
  ]);
  expect(clicks[0]).not.toHaveProperty('download');
  expect(clicks[1]).not.toHaveProperty('outbound');
  expect(JSON.stringify(await receiver.events())).not.toContain('hello@example.com');
});

test('scroll depth reports 25, 50, 75 and 100 percent once each, and the deepest point when the page is left', async ({
  page,
  created,
}) => {
  await page.goto(`${SITE_URL}/guide.html`);
  await waitForTracker(page);
  const height = await page.evaluate(() => document.documentElement.scrollHeight - innerHeight);
  for (const fraction of [0.3, 0.2, 0.6, 0.5, 0.8, 1, 1, 0.4]) await scrollTo(page, Math.round(height * fraction));
  await expect
    .poll(async () => (await stored(created, 'scroll_depth')).flatMap((e) => (e.props?.milestone ? [e.props.milestone] : [])))
    .toEqual([25, 50, 75, 100]);
  await page.click('nav a[href="/links.html"]');
  await expect
    .poll(async () => (await stored(created, 'scroll_depth')).flatMap((e) => (e.props?.max_depth ? [[e.path, e.props.max_depth]] : [])))
    .toEqual([['/guide.html', 100]]);
});

test('a form submit is counted, and no e-mail, phone, password or card value reaches anything the receiver stored', async ({
  page,
  created,
}) => {
  const secrets = {
    name: 'Jane Quietwater',
    email: 'jane.secret@example.org',
    phone: '+44 20 7946 0958',
    password: 'hunter2-very-secret',
    card_number: '4242 4242 4242 4242',
    message: 'Call me on +1 415 555 0134 or at jane.secret@example.org, card 4111 1111 1111 1111',
  };
  await page.goto(`${SITE_URL}/contact.html`);
  await waitForTracker(page);
  for (const [name, value] of Object.entries(secrets)) await page.fill(`[name=${name}]`, value);
  await page.click('#contact-form button[type=submit]');
  await page.waitForURL('**/thanks.html');
  await expect.poll(async () => (await stored(created, 'pageview')).map((e) => e.path)).toEqual(['/contact.html', '/thanks.html']);
  await expect.poll(async () => (await stored(created, 'form_submit')).length).toBe(1);
  const [submit] = await stored(created, 'form_submit');
  expect(submit!.props).toMatchObject({ id: 'contact-form', method: 'post', fields: 6 });
  expect(submit!.props?.filled).toEqual(['name', 'email', 'phone', 'password', 'card_number', 'message']);
  expect(submit!.props).not.toHaveProperty('values');

  const everything = JSON.stringify([await receiver.events(), await receiver.rejections()]);
  const forms = [
    ...Object.values(secrets),
    'jane.secret',
    'Quietwater',
    'hunter2',
    '7946 0958',
    '79460958',
    '555 0134',
    '4242 4242',
    '4242424242424242',
    '4111 1111',
    '4111111111111111',
  ];
  for (const secret of forms) expect(everything, `stored data contains "${secret}"`).not.toContain(secret);
});

test('leaving a page reports time on page and engaged time, and the page turning hidden', async ({ page, created }) => {
  await page.goto(`${SITE_URL}/pricing.html`);
  await waitForTracker(page);
  await page.click('h1');
  await page.waitForTimeout(400); // some time on the page, for duration_ms to measure
  await page.goto(`${SITE_URL}/`);
  await expect.poll(async () => (await stored(created, 'page_leave')).length).toBe(1);
  const [leave] = await stored(created, 'page_leave');
  expect(leave!.path).toBe('/pricing.html');
  expect(leave!.props?.duration_ms).toBeGreaterThanOrEqual(400);
  expect(leave!.props?.engaged_ms).toBeGreaterThan(0);
  await expect
    .poll(async () => (await stored(created, 'page_visibility')).map((e) => [e.path, e.props?.state]))
    .toContainEqual(['/pricing.html', 'hidden']);
});

test('web vitals of a page arrive when it is left: TTFB, FCP, LCP and CLS', async ({ page, created }) => {
  await page.goto(`${SITE_URL}/guide.html`);
  await waitForTracker(page);
  await page.click('h1'); // an input: LCP is final from here on
  await page.goto(`${SITE_URL}/`);
  await expect
    .poll(async () => (await stored(created, 'web_vital')).map((e) => e.props?.name))
    .toEqual(expect.arrayContaining(['TTFB', 'FCP', 'LCP', 'CLS']));
  for (const vital of await stored(created, 'web_vital')) {
    expect(vital.path).toBe('/guide.html');
    expect(vital.props).toMatchObject({ value: expect.any(Number), rating: expect.stringMatching(/^(good|needs-improvement|poor)$/) });
  }
});

test('copying text on a page with copy enabled reports its length, never the text', async ({ page, created }) => {
  await page.goto(`${SITE_URL}/links.html`);
  await waitForTracker(page);
  const text = await page.evaluate(() => {
    const node = document.getElementById('copy-me')!;
    const range = document.createRange();
    range.selectNodeContents(node);
    getSelection()!.removeAllRanges();
    getSelection()!.addRange(range);
    return getSelection()!.toString();
  });
  await page.keyboard.press('ControlOrMeta+C');
  await expect
    .poll(async () => (await stored(created, 'text_copy')).map((e) => e.props))
    .toEqual([{ length: text.length, tag: 'p', id: 'copy-me' }]);
  expect(JSON.stringify(await receiver.events())).not.toContain('quieter on weekdays');
});

test('every event id is stored exactly once after reloads with events still queued', async ({ page, created }) => {
  await page.goto(`${SITE_URL}/`);
  await waitForTracker(page);
  const ns: number[] = [];
  for (let round = 0; round < 3; round++) {
    await page.click('#book-demo');
    ns.push(...(await trackTicks(page, round * 10, 5)));
    // Well inside the 2 s flush interval: these events are still queued when the page goes.
    await page.reload();
    await waitForTracker(page);
  }
  await expectExactlyOnce(created, page, ns);
  expect((await stored(created, 'booking_created')).length).toBe(3);
  expect((await stored(created, 'pageview')).length).toBe(4);
});
