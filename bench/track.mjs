// Main-thread cost of 1000 track() calls in Chromium, counting the deferred work (serialisation,
// IndexedDB writes, sending) as well as the calls: CDP's TaskDuration over the whole run, minus the same
// window measured on an idle page. Median of RUNS runs, each in a fresh browser context.
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { buildSdk } from '../e2e/support/build-sdk.mjs';
import { startRecorder } from '../e2e/support/recorder.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const EVENTS = 1000;
const SETTLE_MS = 1500;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

async function taskSeconds(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'TaskDuration').value;
}

async function oneRun(browser, base, track) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  await page.goto(`${base}/pages/bench.html`);
  await page.waitForFunction(() => window.bench?.ready === true);
  await page.waitForTimeout(500);
  await cdp.send('HeapProfiler.collectGarbage');
  const heapBefore = (await cdp.send('Runtime.getHeapUsage')).usedSize;
  const before = await taskSeconds(cdp);
  const callsMs = track ? await page.evaluate((n) => window.bench.run(n), EVENTS) : 0;
  if (track) await page.evaluate(() => window.bench.flush());
  await page.waitForTimeout(SETTLE_MS);
  const after = await taskSeconds(cdp);
  const heapAfter = (await cdp.send('Runtime.getHeapUsage')).usedSize;
  const longTasks = await page.evaluate(() => window.bench.longTasks());
  await context.close();
  return { callsMs, totalMs: (after - before) * 1000, longTasks: longTasks.length, heapKb: (heapAfter - heapBefore) / 1024 };
}

/** Runs the benchmark; returns medians. */
export async function benchTrack() {
  await buildSdk({ release: true });
  const recorder = await startRecorder(0);
  const executablePath = process.env.CHROMIUM_PATH ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
  const browser = await chromium.launch({
    ...(executablePath ? { executablePath } : {}),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    const idle = [];
    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      idle.push((await oneRun(browser, recorder.url, false)).totalMs);
      runs.push(await oneRun(browser, recorder.url, true));
    }
    const requests = await (await fetch(`${recorder.url}/_requests`)).json();
    const delivered = new Set(requests.filter((r) => r.status === 200).flatMap((r) => r.ids)).size;
    const idleMs = median(idle);
    return {
      events: EVENTS,
      runs: RUNS,
      calls_ms: median(runs.map((r) => r.callsMs)),
      main_thread_ms: Math.max(0, median(runs.map((r) => r.totalMs)) - idleMs),
      idle_baseline_ms: idleMs,
      long_tasks: median(runs.map((r) => r.longTasks)),
      heap_kb: median(runs.map((r) => r.heapKb)),
      delivered_per_run: delivered / RUNS,
    };
  } finally {
    await browser.close();
    await recorder.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchTrack();
  console.table(result);
  console.log(JSON.stringify({ track: result }));
}
