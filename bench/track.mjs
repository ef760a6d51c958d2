// Main-thread cost of 1000 track() calls in Chromium, counting the deferred work (serialisation,
// IndexedDB writes, sending) as well as the calls, minus the same window measured on an idle page; median of RUNS
// runs, each in a fresh browser profile. Measured two ways:
// - traced (the figure held to the target): Chromium runs with no DevTools client attached, as on a visitor's
//   machine, and its own trace (toplevel tasks of the page's main thread) gives the time;
// - under DevTools (Playwright + CDP's TaskDuration): DevTools' network agent copies every request body, which
//   costs the page ~8 µs per KiB sent that no visitor pays, so this figure runs ~1.5× higher. Kept for comparison
//   with earlier runs, and for the calls' own time and the heap growth, which need a DevTools client.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { buildSdk } from '../e2e/support/build-sdk.mjs';
import { CHROMIUM_ARGS, chromiumPath } from '../e2e/support/chromium.mjs';
import { startRecorder } from '../e2e/support/recorder.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const EVENTS = 1000;
export const SETTLE_MS = 1500;
/** bench.js starts its traced run this long after it loads (`?start=`), past the page's own start-up work. */
const START_MS = 1500;
/** Time allowed for Chromium to start and load the page before that. */
const LOAD_MS = 1000;

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

/**
 * Opens the benchmark page in a headless Chromium of its own with no DevTools client (the page drives itself, see
 * bench.js) while Chromium traces `categories`; returns the trace's events and the page's `bench:start` mark.
 */
export async function traceBenchPage({ executablePath, base, mode, query = '', categories = [] }) {
  const dir = mkdtempSync(join(tmpdir(), 'trailmark-bench-'));
  const file = join(dir, 'trace.json');
  const browser = spawn(
    executablePath,
    [
      ...CHROMIUM_ARGS,
      '--headless=new',
      `--user-data-dir=${join(dir, 'profile')}`,
      `--trace-startup=${['toplevel', 'blink.user_timing', ...categories].join(',')}`,
      `--trace-startup-file=${file}`,
      '--trace-startup-format=json',
      `--trace-startup-duration=${Math.ceil((LOAD_MS + START_MS + SETTLE_MS) / 1000) + 1}`,
      `${base}/pages/bench.html?auto=${mode}&start=${START_MS}${query}`,
    ],
    // Its own process group, so the renderer and helper processes end with it.
    { stdio: 'ignore', detached: true },
  );
  try {
    let events;
    for (let waited = 0; !events && waited < 30_000; waited += 200) {
      await new Promise((done) => setTimeout(done, 200));
      try {
        events = JSON.parse(readFileSync(file, 'utf8')).traceEvents;
      } catch {
        // Not written yet, or still being written.
      }
    }
    if (!events) throw new Error('Chromium wrote no trace');
    const start = events.find((e) => e.name === 'bench:start');
    if (!start) throw new Error('the traced page never started its run');
    return { events, start };
  } finally {
    const exited = new Promise((done) => (browser.exitCode === null ? browser.once('exit', done) : done()));
    try {
      process.kill(-browser.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await exited;
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
}

/**
 * One traced run: the thread time of the page's main-thread tasks from its `bench:start` mark over the next
 * SETTLE_MS, and whether the run reached its end mark.
 */
async function tracedRun(executablePath, base, mode, query = '') {
  const { events, start } = await traceBenchPage({ executablePath, base, mode, query });
  const thread = (e) => e.pid === start.pid && e.tid === start.tid;
  let us = 0;
  for (const e of events)
    if (
      thread(e) &&
      e.ph === 'X' &&
      e.name === 'ThreadControllerImpl::RunTask' &&
      e.ts >= start.ts - 1000 &&
      e.ts <= start.ts + SETTLE_MS * 1000
    )
      us += e.tdur ?? e.dur;
  return { totalMs: us / 1000, finished: events.some((e) => thread(e) && e.name === 'bench:end') };
}

/** Runs the benchmark; returns medians. */
export async function benchTrack() {
  await buildSdk({ release: true });
  const recorder = await startRecorder(0);
  const executablePath = chromiumPath() ?? chromium.executablePath();
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  try {
    const idle = [];
    const runs = [];
    const tracedIdle = [];
    const traced = [];
    const floor = [];
    for (let i = 0; i < RUNS; i++) {
      idle.push((await oneRun(browser, recorder.url, false)).totalMs);
      runs.push(await oneRun(browser, recorder.url, true));
      tracedIdle.push((await tracedRun(executablePath, recorder.url, 'idle')).totalMs);
      const run = await tracedRun(executablePath, recorder.url, 'track');
      if (!run.finished) throw new Error('a traced run did not finish its 1000 track() calls and flush in time');
      traced.push(run.totalMs);
      floor.push((await tracedRun(executablePath, recorder.url, 'track', '&floor=1')).totalMs);
    }
    const requests = await (await fetch(`${recorder.url}/_requests`)).json();
    const delivered = new Set(requests.filter((r) => r.status === 200).flatMap((r) => r.ids)).size;
    const idleMs = median(idle);
    return {
      events: EVENTS,
      runs: RUNS,
      calls_ms: median(runs.map((r) => r.callsMs)),
      main_thread_ms: Math.max(0, median(traced) - median(tracedIdle)),
      main_thread_runs_ms: traced.map((ms) => Math.round(ms * 10) / 10).sort((a, b) => a - b),
      idle_baseline_ms: median(tracedIdle),
      floor_main_thread_ms: Math.max(0, median(floor) - median(tracedIdle)),
      devtools_main_thread_ms: Math.max(0, median(runs.map((r) => r.totalMs)) - idleMs),
      devtools_idle_baseline_ms: idleMs,
      long_tasks: median(runs.map((r) => r.longTasks)),
      heap_kb: median(runs.map((r) => r.heapKb)),
      delivered_per_run: delivered / (2 * RUNS),
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
