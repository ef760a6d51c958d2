// The stats cost per backend at 10,000 and 40,000 visits, with the ratio (issue 27): a linear read costs ×4 for ×4
// visits; the copies of a growing bucket that issue 27 removed cost ×16 and more. Every visit starts within the same
// hour and reports the same web vital, the shape a public-key writer would choose to make the panels slow. Each
// backend is written through its own batch endpoint (its ingest, as a writer would), and each panel of a one-day
// view is requested over HTTP (GET /v1/stats/:panel, the dashboard's requests), timed as the median of RUNS. While
// the panels run, the health endpoint is asked every 50 ms: its slowest answer says whether a stats request held it.
// For D1 the resident memory of workerd is sampled as well (its peak over the panels, above its size before them).
// 40,000 such visits are 140,000 events, past the default stats budget of the receiver and the Worker (100,000
// events a request: `STATS_BUDGET`), which answer them 503: the bench prints each size's events beside that
// budget, and measures the cost with the budget raised (BUDGET below), since what it measures is how cost grows.
//   node bench/stats-cost.mjs                (receiver in memory, PGlite, D1 under Miniflare)
//   DATABASE_URL=postgres://… node bench/stats-cost.mjs   (real PostgreSQL in a throwaway schema)
//   BENCH_STATS_BACKENDS=receiver,d1 node bench/stats-cost.mjs   (some of them: receiver, pg, d1, clickhouse; BENCH_STATS_LOG=1 prints pg-ingest's log)
// ClickHouse (an ingest node, a loader and the read API in one process, over its own nats-server and embedded chDB)
// runs where chDB and nats-server are installed; its budget is ClickHouse's own limits per query, raised likewise.
// Run after `npm run build`.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';

const SIZES = [10_000, 40_000];
const RUNS = Number(process.env.BENCH_STATS_RUNS ?? 3);
const BUDGET = { maxEvents: 1_000_000, timeMs: 600_000 };
const SITE = { id: 'bench', writeKey: 'pk_bench_stats', readKey: 'sk_bench_stats', origins: [] };
const PANELS = [
  'summary',
  'timeseries?interval=hour',
  'breakdown?by=page',
  'breakdown?by=source',
  'goals',
  'funnel?step=page:/a&step=event:signup',
  'vitals',
];

/** Three events per visit (two pageviews, a web vital) and a signup every other visit, all in the last hour. */
function visitEvents(first, count, now) {
  const events = [];
  for (let i = first; i < first + count; i++) {
    const base = { site_id: SITE.id, visitor_id: `v${i % 5000}`, session_id: `s${i}`, url: 'https://app.example/a' };
    const ts = now - 3_000_000 + (i % 2_900_000);
    events.push(
      { ...base, event_id: randomUUID(), type: 'pageview', ts, seq: 1, path: '/a', referrer: 'https://www.google.com/' },
      { ...base, event_id: randomUUID(), type: 'pageview', ts: ts + 1, seq: 2, path: `/p${i % 50}` },
      {
        ...base,
        event_id: randomUUID(),
        type: 'web_vital',
        ts: ts + 2,
        seq: 3,
        path: '/a',
        props: { name: 'LCP', value: i % 4000, id: `m${i}` },
      },
    );
    if (i % 2 === 0) events.push({ ...base, event_id: randomUUID(), type: 'signup', ts: ts + 3, seq: 4, path: '/a' });
  }
  return events;
}

/**
 * Sends one batch (`post()`), again when it was not taken in (the event ids make that idempotent): a kept-alive
 * connection the server closed while the bench ran the ETL (longer than its keep-alive) resets under the next batch,
 * and a loaded machine gets 408 (PGlite holds the thread while it inserts) or 503 with Retry-After. PGlite's and
 * PostgreSQL's rows were missing for these.
 */
export async function sendBatch(post, attempts = 5) {
  for (let attempt = 1; ; attempt++) {
    const response = await post().catch((error) => (attempt < attempts ? undefined : Promise.reject(error)));
    const body = await response?.json();
    if (response && ((response.status !== 408 && response.status !== 503) || attempt >= attempts)) return { response, body };
    const seconds = Number(response?.headers.get('retry-after') ?? 1);
    await new Promise((resolve) => setTimeout(resolve, Math.min(5, seconds || 1) * 1000));
  }
}

/** Writes visits [first, first + count) through `batchUrl`, 500 events a request, 4 requests in flight. */
async function write(batchUrl, first, count) {
  const now = Date.now();
  const events = visitEvents(first, count, now);
  const batches = [];
  for (let at = 0; at < events.length; at += 500) batches.push(events.slice(at, at + 500));
  let next = 0;
  const send = async () => {
    while (next < batches.length) {
      const batch = batches[next++];
      const post = () =>
        fetch(batchUrl, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: JSON.stringify({ v: 1, sdk: 'trailmark/bench', sent_at: Date.now(), events: batch }),
        });
      const { response, body } = await sendBatch(post);
      if (response.status !== 200 || body.rejected?.length)
        throw new Error(`seeding: ${response.status} ${JSON.stringify(body).slice(0, 200)}`);
    }
  };
  await Promise.all([send(), send(), send(), send()]);
  return events.length;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Each panel RUNS times (median), the health endpoint probed meanwhile, memory sampled by `sample` if given. */
async function measure(backend, sample) {
  const from = Date.now() - 86_400_000;
  const panels = {};
  let healthMax = 0;
  const healthFailures = [];
  const resets = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const started = performance.now();
      try {
        const response = await fetch(backend.health);
        await response.arrayBuffer();
        if (response.status !== 200) healthFailures.push(`${response.status}`);
      } catch (error) {
        // A kept-alive connection the server closed while it could not read it (its event loop held) resets.
        healthFailures.push(error.cause?.code ?? error.message);
      }
      healthMax = Math.max(healthMax, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  let peak = 0;
  const sampler = sample
    ? setInterval(() => {
        peak = Math.max(peak, sample());
      }, 100)
    : undefined;
  try {
    for (const panel of PANELS) {
      const times = [];
      for (let run = 0; run < RUNS; run++) {
        const [name, query = ''] = panel.split('?');
        const started = performance.now();
        const ask = () =>
          fetch(`${backend.url}/v1/stats/${name}?from=${from}${query ? `&${query}` : ''}`, {
            headers: { authorization: `Bearer ${SITE.readKey}` },
          });
        // A kept-alive connection the server closed while its event loop was held resets under the next request:
        // counted, and asked once more.
        const response = await ask().catch((error) => {
          resets.push(`${panel}: ${error.cause?.code ?? error.message}`);
          return ask();
        });
        const body = await response.json();
        times.push(performance.now() - started);
        if (response.status !== 200) throw new Error(`${backend.name} ${panel}: ${response.status} ${JSON.stringify(body).slice(0, 200)}`);
      }
      panels[panel] = Math.round(median(times));
    }
  } finally {
    probing = false;
    clearInterval(sampler);
    await probe;
  }
  const total = Object.values(panels).reduce((sum, ms) => sum + ms, 0);
  return {
    total_ms: total,
    panels,
    health_max_ms: Math.round(healthMax),
    health_failures: healthFailures,
    resets,
    ...(sample ? { workerd_peak_rss_mib: Math.round(peak) } : {}),
  };
}

/** Resident memory of this process's workerd children (MiB), 0 when none is found. */
export function workerdRss() {
  try {
    const out = execFileSync('ps', ['-o', 'rss=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' });
    let kib = 0;
    for (const line of out.trim().split('\n')) {
      const [rss, command] = line.trim().split(/\s+/);
      if (command?.includes('workerd')) kib += Number(rss);
    }
    return kib / 1024;
  } catch {
    return 0;
  }
}

async function receiverBackend(root) {
  const { startReceiver } = await import(new URL('packages/receiver/dist/index.js', root).href);
  const running = await startReceiver({
    port: 0,
    memory: true,
    sites: [SITE],
    rateLimit: { perSecond: 0, burst: 1 },
    retention: { intervalMs: 0 },
    statsBudget: BUDGET,
    log: () => undefined,
  });
  return {
    name: 'receiver',
    engine: 'SQLite in memory',
    url: running.url,
    health: `${running.url}/healthz`,
    batch: `${running.url}/v1/batch?key=${SITE.writeKey}`,
    close: () => running.close(),
  };
}

async function pgBackend(root) {
  const { openDatabase, startIngest, manageSchema } = await import(new URL('packages/pg-ingest/dist/index.js', root).href);
  const databaseUrl = process.env.DATABASE_URL;
  const schema = databaseUrl ? `tm_bench_stats_${Date.now().toString(36)}` : undefined;
  if (databaseUrl) await manageSchema(databaseUrl, 'create', schema);
  const db = await openDatabase(databaseUrl ? { databaseUrl, schema } : {});
  const log = process.env.BENCH_STATS_LOG ? (line) => process.stderr.write(`${line}\n`) : () => undefined;
  // The stats budget raised as for the others (no row count, the raw reads' events and time): the cost is measured.
  const statsBudget = { maxRows: 0, timeMs: BUDGET.timeMs };
  const server = await startIngest({ db, sites: [SITE], etlIntervalMs: 0, maxInFlight: 0, statsBudget, log });
  return {
    name: 'pg-ingest',
    engine: databaseUrl ? 'PostgreSQL' : 'PGlite',
    url: server.url,
    health: `${server.url}/health`,
    batch: `${server.url}/v1/batch?key=${SITE.writeKey}`,
    // PostgreSQL's autovacuum analyses the tables after a load within a minute or so; the bench does it at once, as
    // pg-ingest does on PGlite (unanalysed, the goals panel plans nested loops: over 30 s at 10,000 visits).
    async settle() {
      await server.ingest.runEtl();
      if (databaseUrl) await db.exec('ANALYZE');
    },
    async close() {
      await server.close();
      await db.close().catch(() => undefined);
      if (databaseUrl) await manageSchema(databaseUrl, 'drop', schema);
    },
  };
}

async function d1Backend(root) {
  const { ensureBundle, seedSite, startWorker } = await import(new URL('packages/d1-worker/scripts/local.mjs', root).href);
  await ensureBundle();
  const vars = { STATS_MAX_EVENTS: String(BUDGET.maxEvents), STATS_TIME_MS: String(BUDGET.timeMs) };
  const { mf, db, url } = await startWorker({ output: () => undefined, vars });
  await seedSite(db, { site: SITE.id, writeKey: SITE.writeKey, secretKey: SITE.readKey, website: 'https://app.example' });
  return {
    name: 'd1-worker',
    engine: 'D1 under Miniflare',
    url: url.origin,
    health: `${url.origin}/health`,
    batch: `${url.origin}/track/batch?key=${SITE.writeKey}`,
    sample: workerdRss,
    close: () => mf.dispose(),
  };
}

async function clickhouseBackend(root) {
  const ch = await import(new URL('packages/clickhouse/dist/index.js', root).href);
  if (!ch.chdbAvailable() || !ch.natsServerBinary()) throw new Error('needs chDB and nats-server (see docs/backends/clickhouse.md)');
  const nats = await ch.startNatsNode();
  const statsBudget = { timeMs: BUDGET.timeMs, maxRows: 0, maxMemoryBytes: 0 };
  const running = await ch
    .startClickhouse({ sites: [SITE], log: { servers: [nats.url] }, statsBudget, say: () => undefined })
    .catch(async (error) => {
      await nats.close();
      throw error;
    });
  return {
    name: 'clickhouse',
    engine: 'chDB (embedded ClickHouse), JetStream',
    url: running.url,
    health: `${running.url}/health`,
    batch: `${running.url}/v1/batch?key=${SITE.writeKey}`,
    // What got a 200 is in the log; the panels read what the loader has loaded.
    settle: () => running.settle(300_000),
    async close() {
      await running.close();
      await nats.close();
    },
  };
}

/** The stats cost of each backend at each size, and the ratio of the largest to the smallest. */
export async function benchStatsCost({ root = new URL('../', import.meta.url) } = {}) {
  const { STATS_BUDGET } = await import(new URL('packages/protocol/dist/index.js', root).href);
  const result = {
    sizes: SIZES,
    runs: RUNS,
    default_budget_events: STATS_BUDGET.maxEvents,
    load_average: [loadavg()[0].toFixed(1)],
    backends: {},
  };
  const only = process.env.BENCH_STATS_BACKENDS?.split(',');
  const starts = [receiverBackend, pgBackend, d1Backend, clickhouseBackend].filter(
    (start) => !only || only.some((name) => start.name.startsWith(name)),
  );
  for (const start of starts) {
    let backend;
    let phase = 'starting';
    try {
      backend = await start(root);
      const figures = { engine: backend.engine, sizes: {} };
      const before = backend.sample?.();
      let written = 0;
      let events = 0;
      for (const size of SIZES) {
        const seedStarted = performance.now();
        phase = `seeding ${size} visits`;
        events += await write(backend.batch, written, size - written);
        written = size;
        phase = `the ETL at ${size} visits`;
        await backend.settle?.();
        phase = `the panels at ${size} visits`;
        const seed_s = Math.round((performance.now() - seedStarted) / 100) / 10;
        figures.sizes[size] = { events, seed_s, ...(await measure(backend, backend.sample)) };
      }
      if (before !== undefined) figures.workerd_rss_before_mib = Math.round(before);
      const [small, large] = SIZES.map((size) => figures.sizes[size].total_ms);
      figures.ratio = Math.round((large / Math.max(1, small)) * 10) / 10;
      result.backends[backend.name] = figures;
    } catch (error) {
      const cause = error?.cause ? ` (${error.cause.code ?? error.cause.message ?? error.cause})` : '';
      result.backends[backend?.name ?? start.name] = { error: `${phase}: ${String(error?.message ?? error)}${cause}` };
    } finally {
      await backend?.close().catch(() => undefined);
    }
    process.stderr.write(`bench: stats cost, ${backend?.name ?? start.name} done\n`);
  }
  result.load_average.push(loadavg()[0].toFixed(1));
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await benchStatsCost(), null, 2));
}
