// The dashboard (packages/dashboard) in Chromium against each backend, with the stats data set stored: the
// figures on screen are the ones the protocol's reference code computes from the events, filters apply to every
// panel, and the key never appears in a URL. Screenshots go to test-results/dashboard/ (and to docs/screenshots/
// with DASHBOARD_SCREENSHOTS=1).
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { chromium, expect, type Page, test } from '@playwright/test';
import { parseStatsQuery, type StatsEvent, type StatsQuery, statsCsv, statsPanel } from '@trailmark/protocol';
import { SITE } from '../packages/contract/src/backends.js';
import { botDataSet, statsDataSet, storedStatsEvents } from '../packages/contract/src/stats-data.js';
import { formatCount, formatDuration, formatPercent, formatValue } from '../packages/dashboard/src/format.js';
import { SUMMARY_METRICS } from '../packages/dashboard/src/panels.js';
import { presetRange, type Range, statsParams } from '../packages/dashboard/src/range.js';
import { dashboardFiles, startStaticServer } from '../scripts/serve-static.mjs';
import { CHROMIUM_ARGS, chromiumPath } from './support/chromium.mjs';
import { type DashboardBackend, startDashboardBackend } from './support/dashboard-backends.js';
import { PORTS, RECEIVER_URL, SITE_URL } from './support/ports.js';
import { receiver } from './support/receiver-client.js';

const repo = new URL('..', import.meta.url).pathname;
const BACKENDS = ['receiver', 'postgres', 'd1'] as const;

/** The reference answer for the dashboard's request of a panel. */
function expected<P extends Parameters<typeof statsPanel>[0]>(
  events: StatsEvent[],
  panel: P,
  range: Range,
  filters: Record<string, string | null>,
  extra: Record<string, string> = {},
  now = Date.now(),
) {
  const params = statsParams(range, new Map(Object.entries(filters)) as never, extra);
  return statsPanel(panel, events, parseStatsQuery(params, now) as StatsQuery);
}

async function tableRows(page: Page, selector: string): Promise<string[][]> {
  await expect(page.locator(`${selector} .loading`)).toHaveCount(0);
  return page
    .locator(`${selector} tbody tr`)
    .evaluateAll((rows) => rows.map((row) => [...row.children].map((cell) => (cell.textContent ?? '').trim())));
}

/**
 * The labels of the tables whose text is broken inside a word: each part of a label between its break opportunities
 * (`booking_` and `created`) must sit on one line.
 */
async function labelsBrokenInsideWords(page: Page, selector: string): Promise<string[]> {
  return page.locator(`${selector} .label`).evaluateAll((labels) =>
    labels.flatMap((label) => {
      const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
      const broken: string[] = [];
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const range = document.createRange();
        range.selectNodeContents(node);
        const lines = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
        if (lines.size > 1) broken.push(`${label.textContent}: "${node.textContent}" over ${lines.size} lines`);
      }
      return broken;
    }),
  );
}

async function summaryTexts(page: Page): Promise<string[]> {
  await expect(page.locator('#summary .loading')).toHaveCount(0);
  return page.locator('#summary .stat .value').allTextContents();
}

async function shoot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  mkdirSync(`${repo}test-results/dashboard`, { recursive: true });
  const file = `${repo}test-results/dashboard/${name}.png`;
  await page.screenshot({ path: file, fullPage: options.fullPage ?? true, animations: 'disabled' });
  if (process.env.DASHBOARD_SCREENSHOTS === '1') {
    mkdirSync(`${repo}docs/screenshots`, { recursive: true });
    copyFileSync(file, `${repo}docs/screenshots/${name}.png`);
  }
}

for (const [index, name] of BACKENDS.entries()) {
  test.describe(`dashboard over the ${name} backend`, () => {
    let backend: DashboardBackend;
    let site: Awaited<ReturnType<typeof startStaticServer>>;
    let events: StatsEvent[];
    let now: number;

    test.beforeAll(async () => {
      test.setTimeout(120_000);
      const port = PORTS.dashboardSites + index;
      const origin = `http://127.0.0.1:${port}`;
      now = Date.now();
      // Bot visits beside the data set: no figure counts them unless asked.
      const visits = [...statsDataSet(now), ...botDataSet(now)];
      events = storedStatsEvents(visits);
      backend = await startDashboardBackend(name, origin, visits);
      site = await startStaticServer({ root: `${repo}examples/static-site`, port, endpoint: backend.url, files: dashboardFiles(repo) });
    });
    test.afterAll(async () => {
      await site?.close();
      await backend?.close();
    });

    test('shows the figures computed from the events in every panel, and filters every panel by a clicked value', async ({ page }) => {
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      await page.clock.setFixedTime(now);
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(`${site.url}/dashboard/`);

      // Connect: the endpoint comes from the page (rewritten for this backend), the key is typed.
      await expect(page.locator('#endpoint')).toHaveValue(backend.url);
      await page.locator('#key').fill(SITE.readKey);
      await page.getByRole('button', { name: 'Show the dashboard' }).click();

      const range = presetRange(7, now);
      const totals = expected(events, 'summary', range, {});
      expect(totals).toEqual({ visitors: 9, visits: 11, pageviews: 18, bounces: 4, duration_s: 967 });
      await expect.poll(() => summaryTexts(page)).toEqual(['9', '11', '18', '1.64', '36%', '1m 28s']);
      expect(await summaryTexts(page)).toEqual(SUMMARY_METRICS.map((metric) => metric.format(metric.value(totals))));

      // The chart: its accessible summary and data table hold the time series.
      const series = expected(events, 'timeseries', range, {});
      const visitorsTotal = series.points.reduce((sum, point) => sum + point.visitors, 0);
      await expect(page.locator('#chart svg')).toHaveAttribute('aria-label', new RegExp(`Visitors over 7 days: ${visitorsTotal} in all`));

      // Breakdowns: every tab of every card.
      const cards = {
        pages: ['page', 'entry_page', 'exit_page'],
        sources: ['source', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign'],
        countries: ['country'],
        devices: ['device', 'browser', 'os'],
      } as const;
      for (const [card, dimensions] of Object.entries(cards)) {
        for (const by of dimensions) {
          if (dimensions.length > 1) await page.locator(`#panel-${card} button[data-dimension="${by}"]`).click();
          const want = expected(events, 'breakdown', range, {}, { by, limit: '10' }).rows.map((row) => [
            formatValue(by, row.value),
            formatCount(row.visitors),
            formatCount(by === 'page' ? row.pageviews : row.visits),
          ]);
          await expect.poll(() => tableRows(page, `#panel-${card} .body`), { message: `${card}/${by}` }).toEqual(want);
        }
      }

      // Goals with conversion rates, web vitals at p75, live visitors.
      const goals = expected(events, 'goals', range, {}, { limit: '20' }).rows;
      expect(goals.map((goal) => goal.name)).toEqual(['signup', 'download']);
      await expect
        .poll(() => tableRows(page, '#goals'))
        .toEqual(goals.map((goal) => [goal.name, String(goal.visitors), String(goal.events), `${Math.round((goal.visitors / 9) * 100)}%`]));
      const vitals = expected(events, 'vitals', range, {}).rows;
      expect(vitals).toEqual([
        { name: 'CLS', p75: 0.31, samples: 2 },
        { name: 'INP', p75: 240, samples: 1 },
        { name: 'LCP', p75: 3100, samples: 3 },
      ]);
      await expect
        .poll(() => tableRows(page, '#vitals'))
        .toEqual([
          ['CLS', '0.31', 'Poor', '2'],
          ['INP', '240 ms', 'Needs improvement', '1'],
          ['LCP', '3,100 ms', 'Needs improvement', '3'],
        ]);
      await expect(page.locator('#live')).toHaveText('1 current visitor');

      // A funnel typed by the user.
      await page.locator('#funnel-steps').fill('/, /pricing.html, signup');
      await page.getByRole('button', { name: 'Show funnel' }).click();
      const want = statsPanel('funnel', events, {
        ...(parseStatsQuery(statsParams(range, new Map()), now) as StatsQuery),
        steps: [
          { kind: 'page', value: '/' },
          { kind: 'page', value: '/pricing.html' },
          { kind: 'event', value: 'signup' },
        ],
      }).steps;
      // By hand: 8 visits viewed /, 4 of them /pricing.html after it, 2 of those signed up after that.
      expect(want.map((step) => step.visits)).toEqual([8, 4, 2]);
      await expect(page.locator('#funnel li .visits')).toHaveText(
        want.map((step) => `${step.visits} visit${step.visits === 1 ? '' : 's'}`),
      );

      // Back to each card's first tab for the screenshot.
      for (const [card, dimensions] of Object.entries(cards)) {
        if (dimensions.length > 1) await page.locator(`#panel-${card} button[data-dimension="${dimensions[0]}"]`).click();
        await expect(page.locator(`#panel-${card} .loading`)).toHaveCount(0);
      }
      await shoot(page, `dashboard-${name}`);

      // Filter by a country from its row, with the keyboard: every panel follows.
      await page.locator('#panel-countries .body button', { hasText: 'Germany' }).focus();
      await page.keyboard.press('Enter');
      await expect(page.locator('#filters .chip')).toHaveText('Country: Germany ✕');
      const filtered = expected(events, 'summary', range, { country: 'DE' });
      await expect.poll(() => summaryTexts(page)).toEqual(SUMMARY_METRICS.map((metric) => metric.format(metric.value(filtered))));
      const pages = expected(events, 'breakdown', range, { country: 'DE' }, { by: 'page', limit: '10' }).rows;
      await page.locator('#panel-pages button[data-dimension="page"]').click();
      await expect
        .poll(() => tableRows(page, '#panel-pages .body'))
        .toEqual(pages.map((row) => [row.value ?? '', formatCount(row.visitors), formatCount(row.pageviews)]));
      if (name === 'receiver') await shoot(page, 'dashboard-filtered');
      await page.getByRole('button', { name: 'Remove filter Country: Germany' }).click();
      await expect(page.locator('#filters .chip')).toHaveCount(0);

      // The key went out only as a header: no request URL carries it, and the page source does not hold it.
      expect(requests.filter((url) => url.includes(SITE.readKey))).toEqual([]);
      expect(await page.content()).not.toContain(SITE.readKey);
    });

    test('shows the reports, bot traffic on request, and a panel as CSV', async ({ page }) => {
      await page.clock.setFixedTime(now);
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(`${site.url}/dashboard/`);
      await page.locator('#key').fill(SITE.readKey);
      await page.getByRole('button', { name: 'Show the dashboard' }).click();
      const range = presetRange(7, now);
      const report = <P extends 'revenue' | 'outbound' | 'downloads' | 'scroll' | 'engagement' | 'completeness'>(panel: P) =>
        expected(events, panel, range, {}, { limit: '20' });

      // Each report as the reference computes it (the figures are counted by hand in the contract suite).
      const revenue = report('revenue').rows;
      expect(revenue.map((row) => [row.currency, row.amount])).toEqual([
        ['EUR', 98],
        ['USD', 19.5],
      ]);
      await expect
        .poll(() => tableRows(page, '#panel-revenue .body'))
        .toEqual([
          ['signup (EUR)', '2', '€98.00', '€49.00'],
          ['signup (USD)', '1', '$19.50', '$19.50'],
        ]);
      for (const panel of ['outbound', 'downloads'] as const) {
        const rows = report(panel).rows;
        expect(rows).toHaveLength(1);
        await expect.poll(() => tableRows(page, `#panel-${panel} .body`)).toEqual(rows.map((row) => [row.url, '1', '1']));
      }
      const share = (part: number, whole: number) => formatPercent(part / whole);
      await expect
        .poll(() => tableRows(page, '#panel-scroll .body'))
        .toEqual(
          report('scroll').rows.map((row) => [
            row.path,
            formatCount(row.visits),
            share(row.reached_25, row.visits),
            share(row.reached_50, row.visits),
            share(row.reached_75, row.visits),
            share(row.reached_100, row.visits),
          ]),
        );
      await expect
        .poll(() => tableRows(page, '#panel-engagement .body'))
        .toEqual(
          report('engagement').rows.map((row) => [row.path, formatCount(row.visits), formatDuration(row.engaged_ms / row.visits / 1000)]),
        );
      const days = report('completeness').days;
      expect(days.reduce((sum, day) => sum + day.lost, 0)).toBe(2);
      await expect
        .poll(() => tableRows(page, '#panel-completeness .body'))
        .toEqual(
          days.map((day) => [
            new Date(day.t).toISOString().slice(0, 10),
            formatCount(day.lost),
            Object.entries(day.dropped)
              .map(([reason, count]) => `${reason}: ${count}`)
              .join(', ') || '0',
          ]),
        );

      // The goal breakdown by a property the user names.
      await page.locator('#goal-name').fill('signup');
      await page.locator('#goal-prop').fill('plan');
      await page.getByRole('button', { name: 'Break down' }).click();
      const plans = expected(events, 'goal_props', range, {}, { goal: 'signup', prop: 'plan', limit: '20' }).rows;
      expect(plans.map((row) => row.value)).toEqual(['pro', '7', 'team']);
      await expect
        .poll(() => tableRows(page, '#panel-goal_props .body'))
        .toEqual(plans.map((row) => [row.value, formatCount(row.visitors), formatCount(row.events)]));
      await shoot(page, `dashboard-reports-${name}`);

      // A card's CSV button saves what its panel answers with format=csv.
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Download Pages as CSV' }).click();
      const file = await (await download).path();
      expect(readFileSync(file, 'utf8')).toBe(statsCsv(expected(events, 'breakdown', range, {}, { by: 'page', limit: '100' })));

      // Bots only, on request: the three bot visits of the data set.
      await page.locator('#traffic').selectOption('only');
      const bots = expected(events, 'summary', range, {}, { bots: 'only' });
      expect(bots.visits).toBe(3);
      await expect.poll(() => summaryTexts(page)).toEqual(SUMMARY_METRICS.map((metric) => metric.format(metric.value(bots))));
    });

    test('compares a custom range with the period before it, and shows empty states for a range without visits', async ({ page }) => {
      await page.clock.setFixedTime(now);
      await page.goto(`${site.url}/dashboard/`);
      await page.locator('#key').fill(SITE.readKey);
      await page.getByRole('button', { name: 'Show the dashboard' }).click();
      await expect(page.locator('#summary .stat')).toHaveCount(6);

      // The last three UTC days against the three before.
      const today = new Date(now).toISOString().slice(0, 10);
      const start = new Date(now - 2 * 86_400_000).toISOString().slice(0, 10);
      await page.locator('#range').selectOption('custom');
      await page.locator('#from').fill(start);
      await page.locator('#to').fill(today);
      await page.getByRole('button', { name: 'Apply' }).click();
      const from = Date.parse(`${start}T00:00:00Z`);
      const range: Range = { from, to: from + 3 * 86_400_000, interval: 'day' };
      const current = expected(events, 'summary', range, {});
      const previous = expected(events, 'summary', { ...range, from: from - 3 * 86_400_000, to: from }, {});
      await expect.poll(() => summaryTexts(page)).toEqual(SUMMARY_METRICS.map((metric) => metric.format(metric.value(current))));
      const change = (a: number, b: number) => {
        if (b === 0) return `was ${b}`;
        const pct = Math.round(((a - b) / b) * 100);
        return `${pct > 0 ? '+' : pct < 0 ? '−' : '±'}${Math.abs(pct)}% vs previous period`;
      };
      await expect(page.locator('#summary .stat[data-metric="visits"] .change')).toHaveText(change(current.visits, previous.visits));
      await expect(page.locator('#chart path.previous')).toHaveCount(1);

      // A range before any event: every panel says so.
      await page.locator('#from').fill('2024-01-01');
      await page.locator('#to').fill('2024-01-07');
      await page.getByRole('button', { name: 'Apply' }).click();
      await expect.poll(() => summaryTexts(page)).toEqual(['0', '0', '0', '0', '0%', '0s']);
      await expect(page.locator('#chart .empty')).toBeVisible();
      for (const card of ['pages', 'sources', 'countries', 'devices']) await expect(page.locator(`#panel-${card} .empty`)).toBeVisible();
      await expect(page.locator('#goals .empty')).toBeVisible();
      await expect(page.locator('#vitals .empty')).toBeVisible();
      await expect(page.locator('#funnel .empty')).toBeVisible();
    });

    test('works on a phone: one column, no sideways scrolling', async ({ page }) => {
      await page.clock.setFixedTime(now);
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${site.url}/dashboard/`);
      await page.locator('#key').fill(SITE.readKey);
      await page.getByRole('button', { name: 'Show the dashboard' }).click();
      await expect.poll(() => summaryTexts(page)).toEqual(['9', '11', '18', '1.64', '36%', '1m 28s']);
      await expect(page.locator('#panel-pages tbody tr')).not.toHaveCount(0);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      const wide = await page.evaluate(() =>
        [...document.querySelectorAll('body *')]
          .filter((el) => !el.closest('.sr-only') && el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
          .map(
            (el) =>
              `${el.tagName}#${el.id}.${el.className}: ${Math.round(el.getBoundingClientRect().right)} ${(el.textContent ?? '').slice(0, 40)}`,
          ),
      );
      expect(wide).toEqual([]);
      expect(overflow).toBeLessThanOrEqual(0);
      if (name === 'receiver') {
        await shoot(page, 'dashboard-mobile');
        await shoot(page, 'dashboard-mobile-top', { fullPage: false });
      }
    });
  });
}

test.describe('the demo (npm start)', () => {
  test('checks the key on the form: a wrong one is said there and loads nothing; sign-out leaves a clean header; no console error', async ({
    page,
  }) => {
    const problems: string[] = [];
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    page.on('response', (response) => response.status() === 404 && problems.push(`404 ${response.url()}`));
    const panels: string[] = [];
    page.on('request', (request) => request.url().includes('/v1/stats/') && panels.push(request.url()));
    await page.goto(`${SITE_URL}/dashboard/`);
    await page.locator('#key').fill('sk_wrong');
    await page.getByRole('button', { name: 'Show the dashboard' }).click();
    await expect(page.locator('#connect-error')).toHaveText(/^The backend refused the key: /);
    await expect(page.locator('#connect')).toBeVisible();
    await expect(page.locator('#main')).toBeHidden();
    await expect(page.locator('#disconnect')).toBeHidden();
    // One request: the check of the key, not a panel's.
    expect(panels).toHaveLength(1);
    expect(await page.locator('#main p.error').count()).toBe(0);

    await page.locator('#key').fill('sk_demo');
    await page.getByRole('button', { name: 'Show the dashboard' }).click();
    await expect(page.locator('#main')).toBeVisible();
    await expect(page.locator('#connect-error')).toHaveText('');
    await expect(page.locator('#backend')).toHaveText(`Reading ${RECEIVER_URL}`);
    await expect(page.locator('#live')).not.toHaveText('');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.locator('#connect')).toBeVisible();
    await expect(page.locator('#connect-error')).toHaveText('');
    await expect(page.locator('#backend')).toHaveText('');
    await expect(page.locator('#live')).toHaveText('');
    // The 401 of the wrong key's check is the backend's answer the test asked for; anything else is a problem.
    expect(problems.filter((problem) => !/401|Unauthorized/.test(problem))).toEqual([]);
  });

  test("shows the example site's own traffic: a visit made in the browser appears in the dashboard beside it", async ({ page }) => {
    await receiver.reset();
    // A visit to the example site, through the built script tag, to the demo's receiver, from a person's browser:
    // the test's Chromium says it is automated (navigator.webdriver, HeadlessChrome in its user agent) and the
    // dashboard leaves bots out (the bots view is tested above with the data set's bot visits). The user agent is
    // the browser's own, a launch flag: the requests sent as a page unloads do not carry a context's override.
    const executablePath = chromiumPath();
    const browser = await chromium.launch({
      ...(executablePath ? { executablePath } : {}),
      args: [
        ...CHROMIUM_ARGS,
        '--user-agent=Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      ],
    });
    const person = await browser.newContext();
    await person.addInitScript(() => Object.defineProperty(Navigator.prototype, 'webdriver', { get: () => false }));
    const visit = await person.newPage();
    await visit.goto(`${SITE_URL}/`);
    await visit.getByRole('link', { name: 'Pricing' }).first().click();
    await visit.waitForURL(/pricing/);
    await visit.getByRole('button', { name: 'Book a demo' }).click();
    await expect.poll(async () => (await receiver.events({ type: 'pageview' })).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    await expect.poll(async () => (await receiver.events({ type: 'booking_created' })).length, { timeout: 15_000 }).toBe(1);
    await visit.close();
    await page.goto(`${SITE_URL}/dashboard/`);
    await expect(page.locator('#endpoint')).toHaveValue(RECEIVER_URL);
    await page.locator('#key').fill('sk_demo');
    await page.getByRole('button', { name: 'Show the dashboard' }).click();
    await expect.poll(() => summaryTexts(page)).toEqual(['1', '1', '2', '2', '0%', expect.stringMatching(/^\d+s$/)]);
    await expect
      .poll(() => tableRows(page, '#panel-pages .body'))
      .toEqual([
        ['/', '1', '1'],
        ['/pricing.html', '1', '1'],
      ]);
    await expect(page.locator('#live')).toHaveText('1 current visitor');
    // The goal's name breaks only between its words, on a wide screen and on a phone.
    await expect.poll(() => tableRows(page, '#goals')).toEqual([['booking_created', '1', '1', '100%']]);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      expect(await labelsBrokenInsideWords(page, '#goals'), `at ${width} px`).toEqual([]);
      expect(await labelsBrokenInsideWords(page, '#breakdowns'), `at ${width} px`).toEqual([]);
    }
  });
});
