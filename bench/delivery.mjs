// Delivery figures (issue 12), on the example site with the built script tag sending to the reference receiver,
// both in this process on ports the OS picks, in Chromium:
// - a reload loop: 250 counted events at about two reloads a second; every event id on the wire is counted from
//   a pass-through proxy between the pages and the receiver (keepalive fetches and beacons of unloading pages
//   included), so extra copies show;
// - track 50 then reload at once (issue 23), 5 rounds: events that reached the server more than once;
// - lost answers: the server stores a batch but the page sees a network error; the SDK checks (ids only) before
//   resending, and the bytes that saves are printed;
// - bursts of 10,000 and 100,000 track() calls in one task with a healthy server: the time in the calls, the
//   page's main-thread time until the receiver has stored every event (DevTools attached: CDP's TaskDuration),
//   the wall time to deliver, and the JS heap after the calls and after delivery and a GC.
import { createServer, request as httpRequest } from 'node:http';
import { resolve } from 'node:path';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, chromiumPath } from '../e2e/support/chromium.mjs';
import { startStaticServer } from '../scripts/serve-static.mjs';

const root = resolve(import.meta.dirname, '..');

/** Starts the receiver (memory, dev) and the site on free ports, the site's pages sending to the receiver. */
async function startServers() {
  const { startReceiver } = await import(resolve(root, 'packages/receiver/dist/index.js'));
  // The site's port must be known before the receiver allows its origin: take one from a throwaway server first.
  const probe = await startStaticServer({ root: resolve(root, 'examples/static-site'), port: 0, endpoint: 'http://127.0.0.1:1' });
  const sitePort = new URL(probe.url).port;
  await probe.close();
  const receiver = await startReceiver({
    port: 0,
    memory: true,
    dev: true,
    sites: [{ id: 'demo', writeKey: 'pk_demo', readKey: 'sk_demo', origins: [`http://127.0.0.1:${sitePort}`] }],
  });
  const proxy = await countingProxy(receiver.url);
  const dist = resolve(root, 'packages/sdk/dist');
  const site = await startStaticServer({
    root: resolve(root, 'examples/static-site'),
    port: Number(sitePort),
    endpoint: proxy.url,
    transport: 'reference',
    files: { '/trailmark.min.js': `${dist}/trailmark.min.js`, '/trailmark.js': `${dist}/trailmark.js` },
  });
  return { receiver, site, proxy };
}

/** Forwards everything to `target` as it is, and records the event ids of every batch on the way. */
async function countingProxy(target) {
  const upstream = new URL(target);
  const ids = [];
  /** Every POST: its bytes, and whether it was a check (ids only) or a batch of events. */
  const posts = [];
  /** How many of the next batches' answers to lose: forwarded and stored, then the page's connection is cut. */
  const state = { loseAnswers: 0 };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let lose = false;
      if (req.method === 'POST') {
        try {
          const parsed = JSON.parse(body.toString('utf8'));
          for (const event of parsed.events ?? []) ids.push(event.event_id);
          posts.push({
            bytes: body.length,
            check: Array.isArray(parsed.check),
            events: parsed.events?.length ?? 0,
            ids: (parsed.events ?? []).map((event) => event.event_id),
          });
          lose = Boolean(parsed.events) && state.loseAnswers > 0;
          if (lose) state.loseAnswers--;
        } catch {
          // Not a batch: forwarded, and the receiver says what is wrong with it.
        }
      }
      const forward = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (answer) => {
          if (lose) {
            answer.resume();
            answer.on('end', () => res.destroy());
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    ids,
    posts,
    state,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const stats = async (receiver) => (await (await fetch(`${receiver.url}/_trailmark/stats`)).json()).by_type ?? {};
const reset = (receiver) => fetch(`${receiver.url}/_trailmark/reset`, { method: 'POST' });
const ready = (page) =>
  page.waitForFunction(() => typeof window.trailmark === 'function' && typeof window.trailmark('dropped') === 'object');
const track = (page, from, count) =>
  page.evaluate(
    ([from, count]) => {
      const started = performance.now();
      for (let n = from; n < from + count; n++) window.trailmark('track', 'chaos_tick', { n });
      return performance.now() - started;
    },
    [from, count],
  );

async function waitFor(check, timeoutMs) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

async function reloadLoop(browser, { receiver, site, proxy }) {
  await reset(receiver);
  proxy.ids.length = 0;
  const context = await browser.newContext();
  const onWire = proxy.ids;
  const page = await context.newPage();
  await page.goto(`${site.url}/`);
  await ready(page);
  const rounds = 25;
  for (let round = 0; round < rounds; round++) {
    await track(page, round * 10, 10);
    await page.waitForTimeout(400);
    await page.reload();
    await ready(page);
  }
  // The last pages' hand-offs are checked with the server after the request deadline (10 s).
  const all = await waitFor(async () => (await stats(receiver)).chaos_tick === rounds * 10, 30_000);
  await page.waitForTimeout(12_000);
  const stored = (await stats(receiver)).chaos_tick ?? 0;
  await context.close();
  const unique = new Set(onWire).size;
  return {
    counted_events: rounds * 10,
    counted_stored: stored,
    lost: rounds * 10 - stored,
    all_arrived: all,
    events_on_wire: onWire.length,
    distinct_events: unique,
    extra_copies: onWire.length - unique,
    target_extra_copies: 25,
  };
}

/**
 * Issue 23's loop: 5 × (50 track() calls, then a reload in the same task), the script tag as docs/script-tag.md shows
 * it. Copies: events that reached the server more than once (target ≤ 10% of the events), lost: none.
 */
async function reloadAtOnce(browser, { receiver, site, proxy }) {
  await reset(receiver);
  proxy.ids.length = 0;
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${site.url}/`);
  await ready(page);
  const rounds = 5;
  const per = 50;
  for (let round = 0; round < rounds; round++) {
    await page
      .evaluate(
        ([from, count]) => {
          for (let n = from; n < from + count; n++) window.trailmark('track', 'chaos_tick', { n });
          window.__reloading = true;
          location.reload();
        },
        [round * per, per],
      )
      .catch(() => undefined);
    await page.waitForFunction(() => !window.__reloading);
    await ready(page);
  }
  await page.evaluate(() => window.trailmark('flush'));
  const all = await waitFor(async () => (await stats(receiver)).chaos_tick === rounds * per, 30_000);
  // Hand-offs of the last pages are asked about after the request deadline (10 s).
  await page.waitForTimeout(12_000);
  const stored = (await stats(receiver)).chaos_tick ?? 0;
  await context.close();
  const seen = new Map();
  for (const id of proxy.ids) seen.set(id, (seen.get(id) ?? 0) + 1);
  const twice = [...seen.values()].filter((count) => count > 1).length;
  return {
    counted_events: rounds * per,
    lost: rounds * per - stored,
    all_arrived: all,
    distinct_events: seen.size,
    events_on_wire: proxy.ids.length,
    events_sent_more_than_once: twice,
    share_sent_more_than_once: Number((twice / seen.size).toFixed(3)),
    target_share: 0.1,
  };
}

/**
 * Lost answers: the server stores each of the first 3 batches but the page's connection is cut before the answer
 * (the page sees a network error). The SDK asks the server (`check`, ids only) before sending those bodies again:
 * the bytes of the checks against those of the bodies a plain resend would have sent.
 */
async function lostAnswers(browser, { receiver, site, proxy }) {
  await reset(receiver);
  proxy.ids.length = 0;
  proxy.posts.length = 0;
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${site.url}/`);
  await ready(page);
  await page.waitForTimeout(2500);
  proxy.posts.length = 0;
  proxy.ids.length = 0;
  proxy.state.loseAnswers = 3;
  const per = 20;
  for (let round = 0; round < 3; round++) {
    await track(page, round * per, per);
    await page.evaluate(() => window.trailmark('flush'));
    await page.waitForTimeout(300);
  }
  const all = await waitFor(async () => (await stats(receiver)).chaos_tick === 3 * per && proxy.posts.some((p) => p.check), 30_000);
  await page.waitForTimeout(3000);
  const stored = (await stats(receiver)).chaos_tick ?? 0;
  await context.close();
  proxy.state.loseAnswers = 0;
  const batches = proxy.posts.filter((p) => !p.check);
  const lostBatches = batches.slice(0, 3);
  const lostIds = new Set(lostBatches.flatMap((p) => p.ids));
  // The batches that carried any of those events again: what the checks did not save.
  const resent = batches.slice(3).filter((p) => p.ids.some((id) => lostIds.has(id)));
  const seen = new Map();
  for (const id of proxy.ids) seen.set(id, (seen.get(id) ?? 0) + 1);
  const lostBytes = lostBatches.reduce((sum, p) => sum + p.bytes, 0);
  const resentBytes = resent.reduce((sum, p) => sum + p.bytes, 0);
  return {
    batches_answer_lost: lostBatches.length,
    events_in_them: lostBatches.reduce((sum, p) => sum + p.events, 0),
    lost: 3 * per - stored,
    all_arrived: all,
    events_sent_again: [...seen.values()].filter((count) => count > 1).length,
    check_requests: proxy.posts.filter((p) => p.check).length,
    check_bytes: proxy.posts.filter((p) => p.check).reduce((sum, p) => sum + p.bytes, 0),
    /** A plain resend would have sent every lost batch again; these bytes were sent again all the same. */
    resend_bytes: lostBytes,
    resent_bytes: resentBytes,
    resend_bytes_saved: lostBytes - resentBytes,
  };
}

async function burst(browser, { receiver, site }, count) {
  await reset(receiver);
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  await page.goto(`${site.url}/`);
  await ready(page);
  await page.waitForTimeout(1500);
  const task = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration').value;
  await cdp.send('HeapProfiler.collectGarbage');
  const heapBefore = (await cdp.send('Runtime.getHeapUsage')).usedSize;
  const taskBefore = await task();
  const started = Date.now();
  const callsMs = await track(page, 0, count);
  const heapAfterCalls = (await cdp.send('Runtime.getHeapUsage')).usedSize;
  const delivered = await waitFor(async () => ((await stats(receiver)).chaos_tick ?? 0) >= count, 120_000);
  const wallMs = Date.now() - started;
  const mainThreadMs = ((await task()) - taskBefore) * 1000;
  await cdp.send('HeapProfiler.collectGarbage');
  const heapAfter = (await cdp.send('Runtime.getHeapUsage')).usedSize;
  const dropped = await page.evaluate(() => window.trailmark('dropped'));
  const stored = (await stats(receiver)).chaos_tick ?? 0;
  await context.close();
  return {
    calls: count,
    stored,
    delivered_all: delivered && stored === count,
    dropped,
    calls_ms: Math.round(callsMs),
    main_thread_ms: Math.round(mainThreadMs),
    deliver_wall_ms: wallMs,
    heap_after_calls_mib: Number(((heapAfterCalls - heapBefore) / 2 ** 20).toFixed(1)),
    heap_after_delivery_gc_mib: Number(((heapAfter - heapBefore) / 2 ** 20).toFixed(1)),
  };
}

/** Runs the delivery figures; returns them (bench/run.mjs prints them in its table). */
export async function benchDelivery() {
  const servers = await startServers();
  const executablePath = chromiumPath();
  const browser = await chromium.launch({ ...(executablePath ? { executablePath } : {}), args: CHROMIUM_ARGS });
  try {
    return {
      reload_loop: await reloadLoop(browser, servers),
      reload_at_once: await reloadAtOnce(browser, servers),
      lost_answers: await lostAnswers(browser, servers),
      burst_10k: await burst(browser, servers, 10_000),
      burst_100k: await burst(browser, servers, 100_000),
    };
  } finally {
    await browser.close();
    await servers.site.close();
    await servers.proxy.close();
    await servers.receiver.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await benchDelivery(), null, 2));
