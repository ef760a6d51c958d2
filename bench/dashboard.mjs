// Benchmark of the dashboard's read side on the Postgres backend: 1,000,000 events over 30 days written into
// events_log and moved by the ETL (process_events_batch, as in production), then every panel of a 30-day view
// requested over HTTP (GET /v1/stats/:panel, the dashboard's own requests), each timed as the median of runs.
//   DATABASE_URL=postgres://… node bench/dashboard.mjs   (real PostgreSQL, in a throwaway schema)
//   node bench/dashboard.mjs                            (embedded PGlite in memory: much slower to seed)
//   BENCH_DASHBOARD_EVENTS=200000 node bench/dashboard.mjs   (a smaller data set)
// Run after `npm run build`. Bounded: seeding stops at a time cap (reported), each panel runs 5 times.

import { loadavg } from 'node:os';
import { params, timeDashboard } from './dashboard-requests.mjs';

const dist = new URL('../packages/pg-ingest/dist/index.js', import.meta.url);
const SITE = { id: 'bench', writeKey: 'pk_bench_dash', readKey: 'sk_bench_dash', origins: [] };
const DAY = 86_400_000;
const SEED_CAP_MS = 15 * 60_000;
const RUNS = 5;

// Sessions of 1 to 8 events (a one-event session is a bounce); event i of a session is of type TYPES[i].
const TYPES = ['pageview', 'scroll_depth', 'click', 'pageview', 'web_vital', 'heartbeat', 'signup', 'pageview'];
const SEED_SQL = `
INSERT INTO events_log (event_id, event_type, session_id, visitor_id, site_id, "timestamp", url, path, user_agent, raw_event_data)
SELECT md5('e' || s || '.' || i)::uuid, t.type, 's' || s, 'v' || (s * 7 % $3::int), $4::text, t.at,
       'https://shop.example' || t.path || CASE WHEN i = 0 AND s % 9 = 0 THEN '?utm_source=newsletter&utm_medium=email&utm_campaign=c' || (s % 4) ELSE '' END,
       t.path, (ARRAY[
         'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
         'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
         'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
         'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0'
       ])[1 + s % 4],
       jsonb_strip_nulls(jsonb_build_object(
         'event_id', md5('e' || s || '.' || i)::uuid, 'type', t.type, 'ts', (extract(epoch FROM t.at) * 1000)::bigint,
         'site_id', $4::text, 'visitor_id', 'v' || (s * 7 % $3::int), 'session_id', 's' || s, 'seq', i + 1,
         'url', 'https://shop.example' || t.path, 'path', t.path, 'title', 'Page ' || t.path,
         'referrer', CASE WHEN i = 0 THEN (ARRAY[NULL, 'https://www.google.com/', 'https://news.ycombinator.com/', 'https://blog.example.org/a', NULL])[1 + s % 5] END,
         'utm_source', CASE WHEN s % 9 = 0 THEN 'newsletter' END, 'utm_medium', CASE WHEN s % 9 = 0 THEN 'email' END,
         'utm_campaign', CASE WHEN s % 9 = 0 THEN 'c' || (s % 4) END,
         'timezone', (ARRAY['Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Europe/London', 'Australia/Sydney', 'America/Sao_Paulo', 'Asia/Tokyo', NULL])[1 + s % 8],
         'language', 'en', 'screen_w', (ARRAY[390, 820, 1366, 1920, 2560])[1 + s % 5],
         'props', CASE t.type
           WHEN 'web_vital' THEN jsonb_build_object('name', (ARRAY['LCP', 'CLS', 'INP'])[1 + s % 3], 'value',
             CASE s % 3 WHEN 1 THEN round(((s % 40) / 100.0)::numeric, 2) ELSE 100 + (s * 37 % 4000) END, 'id', 'v5-' || s)
           WHEN 'click' THEN CASE s % 3
             WHEN 0 THEN jsonb_build_object('tag', 'a', 'href', 'https://out' || (s % 20) || '.example/', 'outbound', true)
             WHEN 1 THEN jsonb_build_object('tag', 'a', 'href', 'https://shop.example/files/f' || (s % 10) || '.pdf', 'download', true)
             ELSE jsonb_build_object('tag', 'a') END
           WHEN 'signup' THEN jsonb_build_object('plan', (ARRAY['free', 'pro', 'team'])[1 + s % 3],
             'revenue', jsonb_build_object('amount', 9 + s % 40, 'currency', (ARRAY['EUR', 'USD'])[1 + s % 2]))
           WHEN 'scroll_depth' THEN jsonb_build_object('milestone', 50)
           ELSE NULL END
       ))
FROM generate_series($1::int, $2::int - 1) s,
     LATERAL generate_series(0, (s * 7919 % 13) % 8) i,
     LATERAL (SELECT ($6::text[])[1 + i] AS type,
                     '/p/' || ((s + i * 3) % 50) AS path,
                     $5::timestamptz + (s * $7::float8) * interval '1 ms' + i * interval '25 seconds' AS at) t`;

/**
 * Writes about `target` events into events_log, spread over the 30 days before `now` (the bench's sessions, visitors
 * and event types), stopping at `deadline` (epoch ms) between chunks.
 */
export async function writeEvents(db, target, now, deadline = Number.POSITIVE_INFINITY) {
  // Sessions average 51/13 = 3.92 events (lengths 1..8 by s * 7919 % 13 % 8).
  const sessions = Math.round((target * 13) / 51);
  const visitors = Math.round(sessions / 2);
  const spacing = (30 * DAY - 10 * 60_000) / sessions;
  const chunk = 25_000;
  for (let first = 0; first < sessions && Date.now() < deadline; first += chunk) {
    await db.query(SEED_SQL, [
      first,
      Math.min(sessions, first + chunk),
      visitors,
      SITE.id,
      new Date(now - 30 * DAY).toISOString(),
      TYPES,
      spacing,
    ]);
  }
}

/** Writes `target` events spread over the 30 days before `now`, then runs the ETL over them; bounded by SEED_CAP_MS. */
async function seed(db, target, now) {
  const started = Date.now();
  await writeEvents(db, target, now, started + SEED_CAP_MS);
  const [{ n: written }] = await db.query('SELECT count(*)::int AS n FROM events_log');
  const seeded = Date.now();
  let processed = 0;
  for (;;) {
    if (Date.now() - started > SEED_CAP_MS) break;
    const [row] = await db.query('CALL process_events_batch(batch_size => $1)', [50_000]);
    processed += Number(row?.processed ?? 0);
    if (Number(row?.processed ?? 0) < 50_000) break;
  }
  // What autovacuum will have done by the time anyone reads a month of data: statistics, and the visibility map that
  // lets a panel read a covering index alone (idx_user_sessions_panels, migration 09) instead of the table's rows.
  await db.query('VACUUM ANALYZE');
  const [{ sessions: stored }] = await db.query('SELECT count(*)::int AS sessions FROM user_sessions');
  return { events: written, processed, sessions: stored, seed_s: (seeded - started) / 1000, etl_s: (Date.now() - seeded) / 1000 };
}

/** Seeds the data set and times every panel; returns the figures. */
export async function benchDashboard({
  databaseUrl = process.env.DATABASE_URL,
  target = Number(process.env.BENCH_DASHBOARD_EVENTS ?? 1_000_000),
} = {}) {
  const { manageSchema, openDatabase, startIngest, migrate } = await import(dist.href);
  // BENCH_DASHBOARD_SCHEMA=<name> reuses (or keeps) a seeded schema, for working on the queries.
  const kept = process.env.BENCH_DASHBOARD_SCHEMA;
  const schema = databaseUrl ? (kept ?? `tm_bench_dash_${Math.random().toString(36).slice(2, 10)}`) : undefined;
  const reuse = kept !== undefined && databaseUrl !== undefined && (await schemaHasData(manageSchema, openDatabase, databaseUrl, kept));
  if (databaseUrl && !reuse) await manageSchema(databaseUrl, 'create', schema);
  const db = await openDatabase(databaseUrl ? { databaseUrl, schema, queryTimeoutMs: 600_000 } : {});
  let server;
  try {
    const now = Date.now();
    let seeded;
    if (reuse) {
      const [row] = await db.query(
        'SELECT (SELECT count(*)::int FROM events_log) AS events, (SELECT count(*)::int FROM user_sessions) AS sessions',
      );
      seeded = { ...row, processed: row.events, seed_s: 0, etl_s: 0, reused: kept };
    } else {
      await migrate(db);
      seeded = await seed(db, target, now);
    }
    server = await startIngest({
      port: 0,
      db,
      sites: [SITE],
      etlIntervalMs: 0,
      migrate: false,
      rateLimit: { perSecond: 0, burst: 0 },
      log: () => undefined,
    });
    const loadBefore = loadavg()[0];
    const { panels, first_screen_ms } = await timeDashboard(
      async (panel, record) => {
        const response = await fetch(`${server.url}/v1/stats/${panel}?${params(record)}`, {
          headers: { authorization: `Bearer ${SITE.readKey}` },
        });
        await response.arrayBuffer();
        return response.status;
      },
      now,
      RUNS,
    );
    return {
      engine: databaseUrl ? 'PostgreSQL' : 'PGlite',
      ...seeded,
      runs: RUNS,
      // The 1-minute load average before and after the panels: on a shared machine it says how much of a core
      // each query had.
      load_average: [loadBefore, loadavg()[0]].map((n) => Math.round(n * 100) / 100),
      first_screen_ms,
      panels,
      slowest_median_ms: Math.max(...panels.map((p) => p.median_ms)),
    };
  } finally {
    await server?.close();
    await db.close().catch(() => undefined);
    if (databaseUrl && kept === undefined) await manageSchema(databaseUrl, 'drop', schema);
  }
}

async function schemaHasData(_manageSchema, openDatabase, databaseUrl, schema) {
  const db = await openDatabase({ databaseUrl, schema });
  try {
    const [row] = await db.query('SELECT count(*)::int AS n FROM events_log');
    return row.n > 0;
  } catch {
    return false;
  } finally {
    await db.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await benchDashboard();
  console.table(figures.panels);
  const { panels, ...rest } = figures;
  console.log(JSON.stringify(rest));
}
