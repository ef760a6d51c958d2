// `npm run bench`: one report. Bundle sizes (min+gzip) per import combination, the start-up cost on a fresh page, the main-thread cost of
// 1000 track() calls in Chromium, delivery (a reload loop's copies on the wire, bursts of 10k and 100k calls, both
// reload loops of issue 23 in every installed engine), and
// each backend's ingest rate against its ceiling, where present.
// Prints one table of every figure (sizes, track(), backends) and a final JSON line with all of them.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { BUDGETS, checkSizes, LEAN_TARGETS } from '../scripts/size.mjs';
import { benchDelivery } from './delivery.mjs';
import { benchReloadEngines } from './reload-engines.mjs';
import { benchStartup } from './startup.mjs';
import { benchTrack } from './track.mjs';

const root = resolve(import.meta.dirname, '..');
const report = { machine: await machine(), date: new Date().toISOString() };

// Sizes: each import combination and the script tag against the issue's budgets, and what each capture plugin
// adds to the base (scripts/size.mjs, the same measurement as the size test).
const measured = await checkSizes({ enforce: [] });
const sizes = {};
for (const [name, { min, gzip }] of Object.entries(measured.sizes))
  sizes[name] = { min, gzip, budget: BUDGETS[name] ?? null, target: LEAN_TARGETS[name] ?? null };
report.sizes = sizes;
report.plugins = measured.plugins;

process.stderr.write('bench: start-up (fresh Chromium per run)…\n');
report.startup = await benchStartup();
report.track = await benchTrack();
process.stderr.write('bench: delivery (reload loop, bursts)…\n');
report.delivery = await benchDelivery();
process.stderr.write('bench: the two reload loops in every installed engine (e2e/engines)…\n');
try {
  report.reload_engines = await benchReloadEngines();
} catch (error) {
  report.reload_engines = { error: String(error?.message ?? error) };
}

// Backends: each bench module returns its own detailed figures (kept in the JSON under `details`); the
// report takes from each the durable ingest rate, the ceiling it is measured against in the same run, and
// their ratio (target ≥ 0.8).
const BACKENDS = [
  ['receiver', 'bench/receiver.mjs', 'benchReceiver', receiverFigures],
  ['pg-ingest', 'bench/pg-ingest.mjs', 'benchPgIngest', pgFigures],
  ['d1-worker', 'bench/d1-worker.mjs', 'benchD1Worker', d1Figures],
];
report.backends = {};
for (const [name, file, fn, summarise] of BACKENDS) {
  if (!existsSync(resolve(root, file))) continue;
  process.stderr.write(`bench: ${name}…\n`);
  try {
    const module = await import(resolve(root, file));
    const details = await module[fn]();
    report.backends[name] = { ...summarise(details), details };
  } catch (error) {
    // One backend failing to bench (e.g. no database) must not hide the others' figures: reported as such.
    report.backends[name] = { error: String(error?.message ?? error) };
  }
}

// Admission with the privacy rules (issue 26) beside the rules before them: admitBatch events/s (target ≥ 0.9).
if (existsSync(resolve(root, 'bench/privacy.mjs'))) {
  process.stderr.write('bench: admission with the privacy rules…\n');
  try {
    const { benchPrivacy } = await import(resolve(root, 'bench/privacy.mjs'));
    report.privacy = await benchPrivacy();
  } catch (error) {
    report.privacy = { error: String(error?.message ?? error) };
  }
}

// Identity stitching's read cost: the distinct person count against the bare visitor count (issue 24).
if (existsSync(resolve(root, 'bench/persons.mjs'))) {
  process.stderr.write('bench: person count (identity stitching)…\n');
  try {
    const { benchPersons } = await import(resolve(root, 'bench/persons.mjs'));
    report.persons = await benchPersons();
  } catch (error) {
    report.persons = { error: String(error?.message ?? error) };
  }
}

// The dashboard's read side: every panel of a 30-day view over 1,000,000 events on the Postgres backend.
if (existsSync(resolve(root, 'bench/dashboard.mjs'))) {
  process.stderr.write('bench: dashboard (1M events on Postgres)…\n');
  try {
    const { benchDashboard } = await import(resolve(root, 'bench/dashboard.mjs'));
    report.dashboard = await benchDashboard();
  } catch (error) {
    report.dashboard = { error: String(error?.message ?? error) };
  }
}

// The stats cost per backend at 10,000 and 40,000 visits, and the ratio (issue 27: linear is ×4).
if (existsSync(resolve(root, 'bench/stats-cost.mjs'))) {
  process.stderr.write('bench: stats cost (10k and 40k visits per backend)…\n');
  try {
    const { benchStatsCost } = await import(resolve(root, 'bench/stats-cost.mjs'));
    report.stats_cost = await benchStatsCost();
  } catch (error) {
    report.stats_cost = { error: String(error?.message ?? error) };
  }
}

// One D1 stats request's workerd memory at each STATS_MAX_EVENTS (issue 27: the default is chosen from it).
if (existsSync(resolve(root, 'bench/d1-stats-memory.mjs'))) {
  process.stderr.write('bench: D1 stats memory per budget…\n');
  try {
    const { benchD1StatsMemory } = await import(resolve(root, 'bench/d1-stats-memory.mjs'));
    report.d1_stats_memory = await benchD1StatsMemory();
  } catch (error) {
    report.d1_stats_memory = { error: String(error?.message ?? error) };
  }
}

// The ClickHouse backend: ingest against JetStream's publish ceiling and the Postgres rate of this run, loader,
// freshness, and panels at 1M and 10M events; its rows go into docs/backends/clickhouse.md.
if (existsSync(resolve(root, 'bench/clickhouse.mjs'))) {
  process.stderr.write('bench: clickhouse…\n');
  try {
    const { benchClickhouse, writeClickhouseDoc } = await import(resolve(root, 'bench/clickhouse.mjs'));
    report.clickhouse = await benchClickhouse();
    writeClickhouseDoc(report.clickhouse, report.backends['pg-ingest']?.events_per_s);
  } catch (error) {
    report.clickhouse = { error: String(error?.message ?? error) };
  }
}

// The same on the SQLite backends: the receiver at 100k and 1M events, the D1 Worker at 100k (all through ingest).
if (existsSync(resolve(root, 'bench/dashboard-sqlite.mjs'))) {
  const { benchD1Dashboard, benchReceiverDashboard } = await import(resolve(root, 'bench/dashboard-sqlite.mjs'));
  report.dashboard_sqlite = [];
  for (const [label, run] of [
    ['receiver 100k', () => benchReceiverDashboard({ target: 100_000 })],
    ['receiver 1M', () => benchReceiverDashboard({ target: 1_000_000 })],
    ['d1 100k', () => benchD1Dashboard({ target: 100_000 })],
    // A million events through the local Worker's HTTP ingest take hours here: written to `events` and rolled up by
    // the Worker's own backfill (the visit rebuilds ingest runs), then the same requests.
    ['d1 1M', () => benchD1Dashboard({ target: 1_000_000, via: 'backfill' })],
  ]) {
    process.stderr.write(`bench: dashboard (${label})…\n`);
    try {
      report.dashboard_sqlite.push({ label, ...(await run()) });
    } catch (error) {
      report.dashboard_sqlite.push({ label, error: String(error?.message ?? error) });
    }
  }
}

printReport(report);
console.log(JSON.stringify(report));

/** Reference receiver: group-commit receiver vs `JSON.parse` + one SQLite transaction per request. */
function receiverFigures(f) {
  return {
    engine: 'better-sqlite3 (WAL, synchronous=FULL)',
    scenario: `${f.perBatch}-event requests, ${f.concurrency} in flight, median of ${f.rounds} rounds`,
    events_per_s: f.receiver,
    ceiling_name: 'bare HTTP + JSON.parse + 1 SQLite transaction per request',
    ceiling_events_per_s: f.storageCeiling,
    ratio: f.ratio,
    target: 0.8,
    extra: { discard_events_per_s: f.discard, one_tx_per_request_events_per_s: f.receiverOneTxPerRequest },
  };
}

/** Postgres ingest: HTTP → events_log (default insert) vs COPY → staging → INSERT … ON CONFLICT. */
function pgFigures(rows) {
  const ceiling = rows.find((row) => row.measure.startsWith('raw ceiling'));
  const http = rows.find((row) => row.measure.includes('default'));
  const etl = rows.find((row) => row.measure.startsWith('ETL'));
  return {
    engine: http?.engine,
    scenario: `100-event requests, ${http?.concurrency} in flight, median of rounds`,
    events_per_s: http?.['events/s'],
    ceiling_name: 'COPY → staging → INSERT … ON CONFLICT, same database and concurrency',
    ceiling_events_per_s: ceiling?.['events/s'],
    ratio: http?.['ratio to ceiling'],
    target: 0.8,
    extra: { etl_rows_per_s: etl?.['events/s'] },
  };
}

/**
 * D1 Worker under Miniflare: POST /track/batch against the fastest bare write of the same event rows measured
 * in the run. The issue names multi-row INSERTs as the ceiling, but a bare `INSERT … SELECT FROM json_each(?)`
 * (what the Worker itself uses) is faster, so the ratio is taken against whichever bare write was faster:
 * a ratio above 1 against a slower "ceiling" would flatter the Worker.
 */
function d1Figures(f) {
  const multirow = f.results.ceiling.perSecond;
  const jsonEach = f.results.jsonEach.perSecond;
  const worker = f.results.worker.perSecond;
  const ceiling = Math.max(multirow, jsonEach);
  return {
    engine: 'Miniflare 4 / workerd, local D1',
    scenario: `${f.batch}-event batches, ${f.inFlight} in flight, median of ${f.rounds} rounds`,
    events_per_s: Math.round(worker),
    ceiling_name: `bare Worker, events rows only: ${jsonEach >= multirow ? 'INSERT … SELECT FROM json_each(?)' : 'multi-row INSERTs (12 rows each) in one batch()'} (the faster bare write)`,
    ceiling_events_per_s: Math.round(ceiling),
    ratio: Number((worker / ceiling).toFixed(2)),
    target: 0.8,
    extra: {
      bare_multirow_insert_events_per_s: Math.round(multirow),
      ratio_to_multirow_insert: Number(f.ratio.toFixed(2)),
      bare_json_each_events_per_s: Math.round(jsonEach),
      bare_one_row_inserts_events_per_s: Math.round(f.results.single.perSecond),
    },
  };
}

/** The one table: a row per figure, grouped by part. */
function printReport(r) {
  const rows = [];
  const row = (part, figure, value, unit, note = '') => rows.push({ part, figure, value, unit, note });
  for (const [name, size] of Object.entries(r.sizes ?? {})) {
    const budget = size.budget ? `budget ${size.budget} B gzip: ${size.gzip <= size.budget ? 'within' : 'OVER'}` : '';
    const target = size.target ? `issue 23 target ${size.target} B gzip: ${size.gzip <= size.target ? 'met' : 'not met'}` : '';
    row('size', name, `${size.min} / ${size.gzip}`, 'B min / gzip', [budget, target].filter(Boolean).join('; '));
  }
  for (const [name, plugin] of Object.entries(r.plugins ?? {}))
    row('size', `+ ${name} (over the memoryQueue base)`, `${plugin.min} / ${plugin.gzip}`, 'B min / gzip', `cap ${plugin.cap} B gzip`);
  const p = r.privacy ?? {};
  if (p.error) row('admission', 'admitBatch with the privacy rules', 'error', '', p.error);
  else if (p.new_events_per_s)
    row(
      'admission',
      'admitBatch, realistic 50-event batches, new rules / old (target ≥ 0.9)',
      `${p.new_events_per_s} / ${p.old_events_per_s}`,
      'events/s',
      `ratio ${p.ratio}`,
    );
  for (const [name, s] of Object.entries(r.startup ?? {}))
    row(
      'start-up',
      `${name}: first statement to end, main-thread CPU`,
      s.first_statement_to_end_cpu_ms,
      'ms',
      `median of ${s.runs_cpu_ms.length} fresh pages (${s.runs_cpu_ms.join(', ')}); target ≤ ${s.target_ms}: ${s.first_statement_to_end_cpu_ms <= s.target_ms ? 'met' : 'NOT met'}; wall ${s.first_statement_to_end_wall_ms} ms; whole script ${s.whole_script_cpu_ms} ms CPU`,
    );
  const t = r.track ?? {};
  const runs = `median of ${t.runs} runs`;
  row('track()', `${t.events} calls: time in the calls`, round(t.calls_ms), 'ms', runs);
  row(
    'track()',
    'main-thread busy until sent, incl. deferred work (no DevTools attached; target ≤ 10)',
    round(t.main_thread_ms),
    'ms',
    `idle baseline ${round(t.idle_baseline_ms)} ms subtracted; runs ${(t.main_thread_runs_ms ?? []).join(', ')}; issue 23's anchors: Trailmark then 85, PostHog 2,227, Snowplow 9,286, no SDK 5`,
  );
  row(
    'track()',
    'the same with a memory queue and a no-op transport',
    round(t.floor_main_thread_ms),
    'ms',
    "the SDK's own JavaScript (and its garbage), without IndexedDB and fetch",
  );
  row(
    'track()',
    'the same under DevTools (Playwright + CDP)',
    round(t.devtools_main_thread_ms),
    'ms',
    `idle baseline ${round(t.devtools_idle_baseline_ms)} ms subtracted; DevTools copies each request body`,
  );
  row('track()', 'long tasks (> 50 ms)', t.long_tasks, 'count', runs);
  row('track()', 'heap growth after GC', round(t.heap_kb), 'KiB', runs);
  row('track()', 'events delivered per run', t.delivered_per_run, 'events', '');
  const delivery = r.delivery;
  if (delivery) {
    const loop = delivery.reload_loop;
    row(
      'delivery',
      'reload loop: extra copies on the wire',
      loop.extra_copies,
      'copies',
      `${loop.counted_events} counted events at ~2 reloads/s; target ≤ ${loop.target_extra_copies}`,
    );
    row('delivery', 'reload loop: lost', loop.lost, 'events', `${loop.distinct_events} events in all, ${loop.events_on_wire} on the wire`);
    const once = delivery.reload_at_once;
    if (once) {
      row(
        'delivery',
        'track 50 then reload at once, 5 rounds: events sent more than once',
        once.events_sent_more_than_once,
        'events',
        `${once.share_sent_more_than_once} of ${once.distinct_events} events; target ≤ ${once.target_share}; ${once.events_on_wire} on the wire`,
      );
      row('delivery', 'track 50 then reload at once: lost', once.lost, 'events', `of ${once.counted_events} counted`);
    }
    const lost = delivery.lost_answers;
    if (lost)
      row(
        'delivery',
        'lost answers: bytes the checks saved / bytes of the checks',
        `${lost.resend_bytes_saved} / ${lost.check_bytes}`,
        'B',
        `${lost.batches_answer_lost} batches (${lost.events_in_them} events, ${lost.resend_bytes} B) stored, answers lost; ${lost.events_sent_again} events sent again anyway (${lost.resent_bytes} B), ${lost.lost} lost`,
      );
    for (const key of ['burst_10k', 'burst_100k']) {
      const b = delivery[key];
      const label = `${b.calls.toLocaleString('en')} track() in one task`;
      row('delivery', `${label}: delivered`, `${b.stored} / ${b.calls}`, 'events', `dropped ${JSON.stringify(b.dropped)}`);
      row('delivery', `${label}: time in the calls`, b.calls_ms, 'ms', '');
      row(
        'delivery',
        `${label}: main-thread time until stored`,
        b.main_thread_ms,
        'ms',
        `DevTools attached; all stored after ${b.deliver_wall_ms} ms`,
      );
      row(
        'delivery',
        `${label}: JS heap after the calls / after delivery and GC`,
        `${b.heap_after_calls_mib} / ${b.heap_after_delivery_gc_mib}`,
        'MiB',
        '',
      );
    }
  }
  const engines = r.reload_engines;
  if (engines?.error) row('delivery', 'reload loops in every engine', 'n/a', '', `failed: ${engines.error}`);
  for (const e of engines?.rows ?? [])
    row(
      'delivery',
      `${e.loop}, ${e.engine}: extra copies on the wire / lost`,
      `${e.extra_copies} / ${e.lost}`,
      'events',
      `${e.events} events, ${e.on_wire} ids on the wire, ${e.stored_twice} stored twice; copies ${e.share_more_than_once} of the events, target ≤ ${e.target_share} and 0 lost: ${e.passed ? 'met' : 'NOT met'}`,
    );
  for (const e of engines?.skipped ?? []) row('delivery', `reload loops, ${e.engine}`, 'n/a', '', `not run: ${e.skipped}`);
  if (r.clickhouse?.error) row('clickhouse', 'all', 'n/a', '', `failed: ${r.clickhouse.error}`);
  else if (r.clickhouse) {
    const c = r.clickhouse;
    const pg = r.backends?.['pg-ingest']?.events_per_s;
    row(
      'clickhouse',
      'ingest through the ingest tier',
      c.ingest.ingest_events_per_s,
      'events/s',
      `HTTP → JetStream (R1), 100-event requests, ${c.ingest.workers ?? 1} ingest processes`,
    );
    if (c.ingest.ingest_events_per_cpu_s)
      row('clickhouse', 'ingest tier per CPU-second', c.ingest.ingest_events_per_cpu_s, 'events/CPU-s', 'the rate of one idle core');
    row(
      'clickhouse',
      'JetStream publish ceiling',
      c.ingest.ceiling_events_per_s,
      'events/s',
      `the same messages straight to the stream, ${c.ingest.workers ?? 1} publishers`,
    );
    row('clickhouse', 'ratio to ceiling', c.ingest.ratio, '×', 'target ≥ 0.8');
    if (pg) row('clickhouse', 'ratio to the Postgres backend', round(c.ingest.ingest_events_per_s / pg), '×', 'target ≥ 2');
    row('clickhouse', 'loader into embedded chDB', c.loader.loader_events_per_s, 'events/s', 'target ≥ 100,000');
    row(
      'clickhouse',
      'loader per CPU-second',
      c.loader.loader_events_per_cpu_s,
      'events/CPU-s',
      'its JavaScript and chDB together: the rate of one idle core',
    );
    row('clickhouse', 'freshness p95 (200 → panel)', c.freshness.p95_ms, 'ms', `p50 ${c.freshness.p50_ms} ms; target ≤ 5000`);
    for (const [size, p] of Object.entries(c.panels ?? {}))
      row('clickhouse', `slowest panel, 30 days, ${size} events`, p.error ? 'n/a' : p.slowest_ms, 'ms', p.error ?? 'target ≤ 1000 at 10M');
    for (const [size, p] of Object.entries(c.panels ?? {}))
      if (p.first_screen_ms?.length)
        row(
          'clickhouse',
          `whole dashboard (first screen and report cards), all at once, ${size} events`,
          Math.min(...p.first_screen_ms),
          'ms',
          `runs ${p.first_screen_ms.join(', ')}; target < 2000`,
        );
  }
  for (const [name, b] of Object.entries(r.backends ?? {})) {
    if (b.error) {
      row(name, 'ingest', 'n/a', '', `failed: ${b.error}`);
      continue;
    }
    const verdict = typeof b.ratio === 'number' ? (b.ratio >= b.target ? 'meets' : 'BELOW') : '?';
    row(name, `ingest (${b.engine})`, b.events_per_s, 'events/s', b.scenario);
    row(name, 'ceiling', b.ceiling_events_per_s, 'events/s', b.ceiling_name);
    row(name, 'ratio to ceiling', b.ratio, '×', `${verdict} the ${b.target} target`);
    for (const [key, value] of Object.entries(b.extra ?? {}))
      row(
        name,
        key,
        value,
        key.endsWith('_per_s') ? (key.includes('rows') ? 'rows/s' : 'events/s') : key.startsWith('ratio') ? '×' : '',
        '',
      );
  }
  const d = r.dashboard;
  if (d?.error) row('dashboard', 'panels', 'n/a', '', `failed: ${d.error}`);
  else if (d) {
    row(
      'dashboard',
      `data set (${d.engine})`,
      d.events,
      'events',
      `${d.sessions} visits; seeded in ${d.seed_s} s, ETL ${d.etl_s} s; load average ${d.load_average?.join(' → ')}`,
    );
    for (const p of d.panels)
      row(
        'dashboard',
        p.panel,
        p.median_ms,
        'ms',
        `30-day view, median of ${d.runs} (first ${p.first_ms}, max ${p.max_ms}); target < 1000`,
      );
  }
  const s = r.stats_cost;
  if (s?.error) row('stats cost', 'panels', 'n/a', '', `failed: ${s.error}`);
  for (const [name, b] of Object.entries(s?.backends ?? {})) {
    if (b.error) {
      row('stats cost', name, 'n/a', '', `failed: ${b.error}`);
      continue;
    }
    for (const [visits, f] of Object.entries(b.sizes)) {
      const memory =
        f.workerd_peak_rss_mib === undefined ? '' : `; workerd peak ${f.workerd_peak_rss_mib} MiB (${b.workerd_rss_before_mib} before)`;
      row(
        'stats cost',
        `${name} (${b.engine}), ${visits} visits`,
        f.total_ms,
        'ms',
        `${f.events} events (${f.events > s.default_budget_events ? 'over' : 'within'} the default budget of ${s.default_budget_events}: measured with it raised); ${s.runs}-run medians of ${Object.keys(f.panels).length} panels, all visits in one hour; health at most ${f.health_max_ms} ms meanwhile${f.health_failures.length ? ` (failed: ${f.health_failures.join(', ')})` : ''}${memory}`,
      );
    }
    const verdict = b.ratio < 8 ? 'linear' : 'SUPER-LINEAR';
    row('stats cost', `${name}: 40k / 10k visits`, b.ratio, '×', `${verdict} (linear ×4, the old copies ×16 and more); target < 8`);
  }
  const mem = r.d1_stats_memory;
  if (mem?.error) row('d1 stats memory', 'live read', 'n/a', '', `failed: ${mem.error}`);
  for (const b of mem?.budgets ?? [])
    row(
      'd1 stats memory',
      `STATS_MAX_EVENTS ${b.budget}${b.budget === mem.default_budget_events ? ' (default)' : ''}`,
      b.request_mib,
      'MiB',
      `workerd's peak above its ${b.rss_before_mib} MiB before one live read of ${Math.min(b.budget + 1, mem.events)} of ${mem.events} events (answers ${b.statuses.join(', ')}; ${b.ms} ms); target ≤ 256 MiB a request`,
    );
  if (d?.first_screen_ms)
    row(
      'dashboard',
      'whole dashboard (first screen and report cards), all at once',
      Math.min(...d.first_screen_ms),
      'ms',
      `runs ${d.first_screen_ms.join(', ')}; target < 2000`,
    );
  for (const b of r.dashboard_sqlite ?? []) {
    if (b.error) {
      row(`dashboard ${b.label}`, 'panels', 'n/a', '', `failed: ${b.error}`);
      continue;
    }
    row(
      `dashboard ${b.label}`,
      `data set (${b.engine})`,
      b.events,
      'events',
      `seeded in ${b.seed_s} s${b.backfill_s === undefined ? '' : ` + rolled up by the backfill in ${b.backfill_s} s`}; load average ${b.load_average?.join(' → ')}`,
    );
    for (const p of b.panels) {
      row(
        `dashboard ${b.label}`,
        p.panel,
        p.median_ms,
        'ms',
        `30-day view, median of ${b.runs} (first ${p.first_ms}, max ${p.max_ms}); target < 1000${p.status === 200 ? '' : `; ANSWERED ${p.status}`}`,
      );
    }
    row(
      `dashboard ${b.label}`,
      'whole dashboard (first screen and report cards), all at once',
      Math.min(...b.first_screen_ms),
      'ms',
      `runs ${b.first_screen_ms.join(', ')}; target < 2000`,
    );
    if (b.rss_peak_answering_mib !== undefined) {
      row(`dashboard ${b.label}`, 'receiver RSS while answering', b.rss_peak_answering_mib, 'MiB', 'peak (VmHWM); target < 512');
    }
  }
  const m = r.machine;
  console.log(`\nTrailmark benchmark — ${r.date}; Node ${m.node}, ${m.cpus} × ${m.cpu}, ${m.memory_gib} GiB; ${m.chromium}`);
  console.table(rows);
}

/** Node, cores, CPU model and the Chromium the track() figures come from. */
async function machine() {
  const os = await import('node:os');
  const { execFileSync } = await import('node:child_process');
  const chromiumPath = (await import('../e2e/support/chromium.mjs')).chromiumPath() ?? 'chromium';
  let chromium = null;
  try {
    chromium = execFileSync(chromiumPath, ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch (error) {
    chromium = `unknown (${chromiumPath}: ${error.code ?? 'failed'})`;
  }
  return {
    node: process.version,
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memory_gib: Math.round(os.totalmem() / 2 ** 30),
    chromium,
  };
}

function round(n) {
  return typeof n === 'number' ? Math.round(n * 10) / 10 : n;
}
