// The backend CPU of each first-screen request of the dashboard on PostgreSQL: the server process's user + system
// time (from /proc, so PostgreSQL must run on this machine) around `statsPanelSql`, best of `BENCH_CPU_RUNS` (3), on
// a data set bench/dashboard.mjs seeded and kept (BENCH_DASHBOARD_SCHEMA). CPU is what a shared machine's load
// distorts least; the wall time beside it is not. BENCH_CPU_EXPLAIN=1 prints each statement's
// EXPLAIN (ANALYZE, BUFFERS) instead.
//   DATABASE_URL=postgres://… BENCH_DASHBOARD_SCHEMA=bench node bench/dashboard-pg-cpu.mjs
// Run after `npm run build`.

import { loadavg } from 'node:os';
import { firstScreen, params } from './dashboard-requests.mjs';
import { cpuMs } from './proc-cpu.mjs';

const dist = new URL('../packages/pg-ingest/dist/index.js', import.meta.url);
const SITE = 'bench';
const RUNS = Number(process.env.BENCH_CPU_RUNS ?? 3);

const { openDatabase, statsPanelSql } = await import(dist.href);
const databaseUrl = process.env.DATABASE_URL;
const schema = process.env.BENCH_DASHBOARD_SCHEMA;
if (!databaseUrl || !schema) throw new Error('DATABASE_URL and BENCH_DASHBOARD_SCHEMA name a seeded data set');
const db = await openDatabase({ databaseUrl, schema, maxConnections: 1, queryTimeoutMs: 600_000 });
const explain = process.env.BENCH_CPU_EXPLAIN === '1';
// The data set's own "now": the latest visit start, so a kept data set gives the same 30-day view on any day.
const [{ now }] = await db.query('SELECT (extract(epoch FROM max(session_start)) * 1000)::float8 AS now FROM user_sessions');
const [{ pid }] = await db.query('SELECT pg_backend_pid() AS pid');
const rows = [];
let total = 0;
for (const [panel, record] of firstScreen(now)) {
  const url = new URL(`http://x/v1/stats/${panel}?${params(record)}`);
  const name = `${panel} ${record.by ?? ''}${Number(record.to) <= Number(firstScreen(now)[0][1].from) ? ' (previous)' : ''}`.trim();
  if (explain) {
    const statements = [];
    const capture = {
      ...db,
      kind: db.kind,
      query: (sql, values) => db.query(sql, values),
      transaction: (fn) =>
        db.transaction((tx) =>
          fn({
            query: async (sql, values) => {
              if (!/^SET |set_config/.test(sql)) statements.push([sql, values]);
              return tx.query(sql, values);
            },
            exec: (sql) => tx.exec(sql),
          }),
        ),
    };
    await statsPanelSql(capture, SITE, url, now);
    for (const [sql, values] of statements) {
      const plan = await db.transaction(async (tx) => {
        // The panel's own settings (statsPanelSql) come with the statements captured.
        await tx.query("SELECT set_config('work_mem', '64MB', true), set_config('jit', 'off', true)");
        await tx.query("SELECT set_config('max_parallel_workers_per_gather', '0', true)");
        return tx.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, values);
      });
      console.log(`\n=== ${name}\n${plan.map((r) => r['QUERY PLAN']).join('\n')}`);
    }
    continue;
  }
  let best = Number.POSITIVE_INFINITY;
  let wall = Number.POSITIVE_INFINITY;
  for (let run = 0; run < RUNS; run++) {
    const cpu = cpuMs(pid);
    const started = performance.now();
    await statsPanelSql(db, SITE, url, now);
    wall = Math.min(wall, performance.now() - started);
    best = Math.min(best, cpuMs(pid) - cpu);
  }
  total += best;
  rows.push({ request: name, cpu_ms: best, wall_ms: Math.round(wall) });
}
await db.close();
if (!explain) {
  console.table(rows);
  console.log(JSON.stringify({ first_screen_sql_cpu_ms: total, load_average: Math.round(loadavg()[0] * 100) / 100 }));
}
