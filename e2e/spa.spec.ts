// The SPA example (examples/spa), built with Vite into a temporary folder and driven in Chromium against two
// in-process reference receivers (memory mode): the primary and the mirror of its fan-out transport.
// Everything listens on 127.0.0.1 on ports the OS picks; nothing here uses the recorder on 4310.
import { readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type Page, test } from '@playwright/test';
import { type RunningReceiver, startReceiver } from '@trailmark/receiver';
import { build } from 'vite';

const SPA_ROOT = fileURLToPath(new URL('../examples/spa/', import.meta.url));

interface StoredEvent {
  event_id: string;
  type: string;
  url: string;
  path: string;
  seq: number;
  ts: number;
  referrer?: string;
  session_id: string;
  props?: Record<string, unknown>;
}

let outDir: string;
let site: Server;
let origin: string;
let primary: RunningReceiver;
let mirror: RunningReceiver;

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

/** Serves the built app, with the SPA fallback: any path that is not a file gets index.html. */
function serveSpa(root: string): Promise<Server> {
  const server = createServer(async (request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    let file = join(root, path);
    if (!(await stat(file).catch(() => undefined))?.isFile()) file = join(root, 'index.html');
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    response.end(await readFile(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Builds the app with its endpoints in Vite env vars, as a user's CI would. */
async function buildSpa(env: Record<string, string>): Promise<void> {
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  try {
    await build({ root: SPA_ROOT, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

async function events(receiver: RunningReceiver, query: string): Promise<StoredEvent[]> {
  const response = await fetch(`${receiver.url}/_trailmark/events?site_id=demo&${query}`);
  return ((await response.json()) as { events: StoredEvent[] }).events;
}

/** Waits until the receiver holds at least `min` events of a type (the receiver's own long poll). */
async function waitFor(receiver: RunningReceiver, type: string, min: number): Promise<StoredEvent[]> {
  const found = await events(receiver, `type=${type}&min=${min}&timeout=20000`);
  expect(found.length, `${type} events at ${receiver.url}`).toBeGreaterThanOrEqual(min);
  return found.sort((a, b) => a.seq - b.seq);
}

async function open(page: Page, path: string): Promise<void> {
  await page.goto(`${origin}${path}`);
  await expect(page.locator('main h1')).toBeVisible();
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  outDir = join(tmpdir(), `trailmark-spa-${process.pid}-${Date.now()}`);
  site = await serveSpa(outDir);
  origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  const receiver = (writeKey: string) =>
    startReceiver({
      port: 0,
      memory: true,
      dev: true,
      sites: [{ id: 'demo', writeKey, readKey: `${writeKey}_read`, origins: [origin] }],
      log: () => undefined,
    });
  primary = await receiver('pk_demo');
  mirror = await receiver('pk_mirror');
  await buildSpa({
    VITE_TM_ENDPOINT: primary.url,
    VITE_TM_KEY: 'pk_demo',
    VITE_TM_SITE: 'demo',
    VITE_TM_MIRROR_ENDPOINT: mirror.url,
    VITE_TM_MIRROR_KEY: 'pk_mirror',
    VITE_TM_MIRROR_KIND: 'reference',
  });
});

test.afterAll(async () => {
  await primary?.close();
  await mirror?.close();
  await new Promise((resolve) => (site ? site.close(resolve) : resolve(undefined)));
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

test.beforeEach(async () => {
  for (const receiver of [primary, mirror]) await fetch(`${receiver.url}/_trailmark/reset`, { method: 'POST' });
});

test('each History-API route change is a pageview whose referrer is the previous in-app URL', async ({ page }) => {
  await open(page, '/');
  await page.click('nav >> text=Pricing');
  await expect(page).toHaveURL(`${origin}/pricing`);
  await page.click('nav >> text=Sign up');
  await expect(page.locator('main h1')).toHaveText('Sign up');
  await page.goBack();
  await expect(page.locator('main h1')).toHaveText('Pricing');

  const views = await waitFor(primary, 'pageview', 4);
  expect(views.map((view) => [view.path, view.props?.navigation, view.referrer])).toEqual([
    ['/', 'load', undefined],
    ['/pricing', 'push', `${origin}/`],
    ['/signup', 'push', `${origin}/pricing`],
    ['/pricing', 'pop', `${origin}/signup`],
  ]);
  expect(new Set(views.map((view) => view.session_id)).size).toBe(1);
  // Leaving each in-app page is measured too.
  const leaves = await waitFor(primary, 'page_leave', 3);
  expect(leaves.map((leave) => leave.path)).toEqual(['/', '/pricing', '/signup']);
});

test('the hash-routed help page counts each hash route as a page view', async ({ page }) => {
  await open(page, '/');
  await page.click('nav >> text=Help');
  await expect(page.locator('main h2')).toHaveText('FAQ');
  await page.click('#help-contact');
  await expect(page.locator('main h2')).toHaveText('Contact');
  await expect(page).toHaveURL(`${origin}/help#/contact`);

  const views = await waitFor(primary, 'pageview', 3);
  expect(views.map((view) => [view.url, view.props?.navigation, view.referrer])).toEqual([
    [`${origin}/`, 'load', undefined],
    [`${origin}/help#/faq`, 'push', `${origin}/`],
    [`${origin}/help#/contact`, 'hash', `${origin}/help#/faq`],
  ]);
});

test('the sign-up form arrives with its allowed values and without its sensitive ones', async ({ page }) => {
  const secrets = { email: 'jane.doe@example.com', password: 'hunter2-Secret!', card: '4242 4242 4242 4242' };
  await open(page, '/pricing');
  await page.click('#choose-pro');
  await page.fill('input[name=company]', 'Acme Ltd');
  await page.fill('input[name=email]', secrets.email);
  await page.fill('input[name=password]', secrets.password);
  await page.fill('input[name=card_number]', secrets.card);
  await page.click('button[type=submit]');
  await expect(page.locator('main h1')).toHaveText('Welcome');

  const [submit] = await waitFor(primary, 'form_submit', 1);
  expect(submit?.path).toBe('/signup');
  expect(submit?.props).toMatchObject({
    id: 'signup',
    method: 'post',
    action: '/signup',
    fields: 5,
    values: { company: 'Acme Ltd', plan: 'pro' },
  });
  expect(submit?.props?.filled).toEqual(expect.arrayContaining(['company', 'email', 'password', 'card_number', 'plan']));
  const views = await waitFor(primary, 'pageview', 3);
  expect(views.at(-1)).toMatchObject({ path: '/welcome', referrer: `${origin}/signup?plan=pro` });

  // Nothing stored anywhere, in either backend, holds a sensitive value.
  for (const receiver of [primary, mirror]) {
    const everything = JSON.stringify(await events(receiver, 'limit=10000'));
    for (const value of [...Object.values(secrets), secrets.card.replace(/ /g, '')]) expect(everything).not.toContain(value);
  }
});

test('the custom fan-out transport delivers every batch to both backends', async ({ page }) => {
  // Only this test's events: the previous test's page sends its last batch as its context closes, and that batch
  // may reach the receivers after the reset (and, best effort, the mirror not at all).
  const since = Date.now();
  const mine = (list: StoredEvent[]) => list.filter((event) => event.ts >= since);
  await open(page, '/');
  await page.click('nav >> text=Pricing');
  await page.click('nav >> text=Help');
  await expect(page.locator('main h2')).toHaveText('FAQ');

  const [atPrimary, atMirror] = await Promise.all([waitFor(primary, 'pageview', 3), waitFor(mirror, 'pageview', 3)]);
  expect(atMirror.map((event) => event.event_id)).toEqual(atPrimary.map((event) => event.event_id));
  // Every event of every type, not just page views, is in both stores exactly once.
  await expect
    .poll(async () => {
      const [a, b] = (await Promise.all([events(primary, 'limit=10000'), events(mirror, 'limit=10000')])).map(mine) as [
        StoredEvent[],
        StoredEvent[],
      ];
      const ids = (list: StoredEvent[]) => list.map((event) => event.event_id).sort();
      return { same: JSON.stringify(ids(a)) === JSON.stringify(ids(b)), count: a.length, unique: new Set(ids(a)).size };
    })
    .toEqual({ same: true, count: expect.any(Number), unique: expect.any(Number) });
  const all = mine(await events(primary, 'limit=10000'));
  expect(all.filter((event) => event.type === 'pageview').length).toBeGreaterThanOrEqual(3);
  expect(new Set(all.map((event) => event.event_id)).size).toBe(all.length);
});
