// The memory of one D1 stats request at each stats budget (issue 27: workerd grew to 904 MiB reading 140,000
// events). A request that reads raw events (the live panel) holds up to STATS_MAX_EVENTS of them in the isolate
// before it is refused, so what one request costs follows the budget. EVENTS events are written once into a
// persisted local D1 (straight into its events table), all within the live panel's read (stamped a few minutes ahead, within the accepted clock
// skew, so the whole run stays inside it); then for each budget a fresh workerd starts with STATS_MAX_EVENTS set to
// it, the live panel is asked RUNS times, and workerd's resident memory is sampled every 50 ms. Its peak above the
// size before the requests is one request's memory at that budget.
//   node bench/d1-stats-memory.mjs      (after `npm run build`; BENCH_D1_MEMORY_BUDGETS=10000,25000 to choose)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { workerdRss } from './stats-cost.mjs';

const EVENTS = Number(process.env.BENCH_D1_MEMORY_EVENTS ?? 60_000);
const BUDGETS = (process.env.BENCH_D1_MEMORY_BUDGETS ?? '10000,20000,40000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_D1_MEMORY_RUNS ?? 3);
const SITE = { site: 'bench', writeKey: 'pk_bench_memory', secretKey: 'sk_bench_memory', website: 'https://app.example' };

/** The live panel asked RUNS times on a fresh workerd with this budget: statuses, and the memory peak above the start. */
async function atBudget(startWorker, persist, budget) {
  // The time budget raised: what stops the read is the event budget (on a loaded machine 10 s read fewer than 50,000).
  const vars = { STATS_MAX_EVENTS: String(budget), STATS_TIME_MS: '600000' };
  const { mf, url } = await startWorker({ persist, migrate: false, output: () => undefined, vars });
  try {
    await (await fetch(new URL('/health', url))).arrayBuffer();
    const before = workerdRss();
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, workerdRss());
    }, 50);
    const statuses = [];
    const started = performance.now();
    for (let run = 0; run < RUNS; run++) {
      const response = await fetch(new URL('/v1/stats/live', url), { headers: { authorization: `Bearer ${SITE.secretKey}` } });
      const body = await response.json();
      statuses.push(response.status === 200 ? 200 : `${response.status} ${body.error?.slice(0, 40)}`);
    }
    clearInterval(sampler);
    peak = Math.max(peak, workerdRss());
    return {
      budget,
      statuses,
      ms: Math.round((performance.now() - started) / RUNS),
      rss_before_mib: Math.round(before),
      peak_mib: Math.round(peak),
      request_mib: Math.round(peak - before),
    };
  } finally {
    await mf.dispose();
  }
}

/** One request's workerd memory at each budget, over EVENTS events in the live panel's read. */
export async function benchD1StatsMemory({ root = new URL('../', import.meta.url) } = {}) {
  const { ensureBundle, seedSite, startWorker } = await import(new URL('packages/d1-worker/scripts/local.mjs', root).href);
  const { seedPageviews } = await import(new URL('packages/d1-worker/scripts/seed-events.mjs', root).href);
  const { STATS_BUDGET } = await import(new URL('packages/protocol/dist/index.js', root).href);
  await ensureBundle();
  const persist = mkdtempSync(join(tmpdir(), 'tm-d1-memory-'));
  try {
    const seeding = await startWorker({ persist, output: () => undefined });
    const seedStarted = performance.now();
    try {
      await seedSite(seeding.db, SITE);
      // Four minutes ahead (the accepted skew is ten): the live read spans the last five minutes to ten ahead.
      // Straight into the events table (the read is measured, not the write: through HTTP 60,000 took half an hour).
      await seedPageviews(seeding.db, {
        writeKey: SITE.writeKey,
        site: SITE.site,
        count: EVENTS,
        from: Date.now() + 240_000,
        spanMs: 60_000,
      });
    } finally {
      await seeding.mf.dispose();
    }
    const budgets = [];
    for (const budget of BUDGETS) budgets.push(await atBudget(startWorker, persist, budget));
    return {
      events: EVENTS,
      seed_s: Math.round((performance.now() - seedStarted) / 1000),
      default_budget_events: STATS_BUDGET.maxEvents,
      budgets,
    };
  } finally {
    rmSync(persist, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await benchD1StatsMemory(), null, 2));
}
