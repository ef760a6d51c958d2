// The write cost of the Postgres backend's rollups: the backend CPU of the ETL (process_events_batch, batches of
// 5,000) over the dashboard bench's events (40,000 by default) in a fresh, fully migrated schema, each run in a
// schema of its own, dropped after. What a migration adds to every write is the difference between two builds'
// figures, measured alternately on the same machine (`BENCH_PG_DIST` names another build's dist/index.js).
//   DATABASE_URL=postgres://… node bench/dashboard-etl-cpu.mjs
//   BENCH_ETL_EVENTS=40000 BENCH_ETL_RUNS=3 BENCH_PG_DIST=/path/to/pg-ingest/dist/index.js …
// Run after `npm run build`; PostgreSQL must run on this machine (the CPU is read from /proc).

import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { writeEvents } from './dashboard.mjs';
import { cpuMs } from './proc-cpu.mjs';

const dist = process.env.BENCH_PG_DIST
  ? pathToFileURL(process.env.BENCH_PG_DIST)
  : new URL('../packages/pg-ingest/dist/index.js', import.meta.url);
const EVENTS = Number(process.env.BENCH_ETL_EVENTS ?? 40_000);
const RUNS = Number(process.env.BENCH_ETL_RUNS ?? 3);
const BATCH = 5_000;

const { manageSchema, openDatabase, migrate } = await import(dist.href);
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('DATABASE_URL names the PostgreSQL database to make throwaway schemas in');
const runs = [];
for (let run = 0; run < RUNS; run++) {
  const schema = `tm_bench_etl_${Math.random().toString(36).slice(2, 10)}`;
  await manageSchema(databaseUrl, 'create', schema);
  const db = await openDatabase({ databaseUrl, schema, maxConnections: 1, queryTimeoutMs: 600_000 });
  try {
    await migrate(db);
    await writeEvents(db, EVENTS, Date.now());
    const [{ pid }] = await db.query('SELECT pg_backend_pid() AS pid');
    const cpu = cpuMs(pid);
    const started = performance.now();
    let processed = 0;
    for (;;) {
      const [row] = await db.query('CALL process_events_batch(batch_size => $1)', [BATCH]);
      processed += Number(row?.processed ?? 0);
      if (Number(row?.processed ?? 0) < BATCH) break;
    }
    runs.push({ processed, cpu_ms: cpuMs(pid) - cpu, wall_ms: Math.round(performance.now() - started), load: loadavg()[0] });
  } finally {
    await db.close();
    await manageSchema(databaseUrl, 'drop', schema);
  }
}
console.table(runs);
const sorted = runs.map((r) => r.cpu_ms).sort((a, b) => a - b);
console.log(JSON.stringify({ dist: dist.pathname, events: EVENTS, median_cpu_ms: sorted[Math.floor(RUNS / 2)], cpu_ms: sorted }));
