// Benchmark of the Postgres ingest server (packages/pg-ingest): events/s stored end-to-end (HTTP → events_log)
// with 100-event batches from a loopback load generator at a fixed concurrency, against the raw ceiling of the
// same database measured in the same run at the same concurrency: each batch JSON.parse'd, COPY'd into a
// staging table and moved with INSERT … ON CONFLICT (event_id) DO NOTHING, one transaction per batch. Then the
// ETL's rows/s (process_events_batch over what the HTTP runs stored).
//   DATABASE_URL=postgres://… node bench/pg-ingest.mjs   (real PostgreSQL, in a throwaway schema)
//   node bench/pg-ingest.mjs                            (embedded PGlite in memory: one connection)
// Run after `npm run build` (it loads packages/pg-ingest/dist). Bounded: a fixed number of requests per
// scenario and a time cap; loopback only; the schema (or PGlite) and the server are removed at the end.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const dist = new URL('../packages/pg-ingest/dist/index.js', import.meta.url);
const SITE = { id: 'bench', writeKey: 'pk_bench', readKey: 'sk_bench', origins: [] };
const PER_BATCH = 100;

/** The request bodies, `count` distinct 100-event batches starting at batch number `first`. */
function bodies(first, count, now = Date.now()) {
  const out = [];
  for (let b = first; b < first + count; b++) {
    const events = [];
    for (let i = 0; i < PER_BATCH; i++) {
      const n = b * PER_BATCH + i;
      events.push({
        event_id: `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
        type: i === 0 || i % 10 === 5 ? 'pageview' : 'click',
        ts: now - (PER_BATCH - i) * 1000,
        site_id: SITE.id,
        visitor_id: `visitor-${b}`,
        session_id: `session-${b}`,
        seq: i + 1,
        url: `https://shop.example/products/trail-shoes-${n % 50}?utm_source=newsletter&utm_medium=email`,
        path: `/products/trail-shoes-${n % 50}`,
        title: `Trail shoes ${n % 50}`,
        referrer: 'https://www.google.com/',
        utm_source: 'newsletter',
        utm_medium: 'email',
        utm_campaign: 'autumn-sale',
        language: 'en-GB',
        timezone: 'Europe/London',
        screen_w: 1920,
        screen_h: 1080,
        viewport_w: 1280,
        viewport_h: 720,
        dpr: 2,
        props: { tag: 'a', id: `link-${i}`, position: i },
      });
    }
    out.push(JSON.stringify({ v: 1, sdk: 'bench/1', sent_at: now, events }));
  }
  return out;
}

// The load generator runs in a worker thread, so it does not share the server's event loop.
const LOADGEN = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { url, bodies, concurrency, deadline } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
function send(body) {
  return new Promise((resolve) => {
    const request = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) } }, (response) => {
      const chunks = [];
      response.on('data', (c) => chunks.push(c));
      response.on('end', () => {
        let accepted = 0;
        if (response.statusCode === 200) accepted = JSON.parse(Buffer.concat(chunks).toString()).accepted.length;
        resolve({ status: response.statusCode, accepted });
      });
    });
    request.on('error', () => resolve({ status: 0, accepted: 0 }));
    request.end(body);
  });
}
(async () => {
  let next = 0, accepted = 0, failed = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < bodies.length && Date.now() < deadline) {
      const result = await send(bodies[next++]);
      if (result.status === 200) accepted += result.accepted; else failed++;
    }
  }));
  parentPort.postMessage({ accepted, failed, seconds: (performance.now() - started) / 1000 });
  agent.destroy();
})();
`;

/** Posts `batchBodies` to `url` from a worker thread, `concurrency` at a time, until done or `deadline`. */
export function loadgen(url, batchBodies, concurrency, deadline) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(LOADGEN, { eval: true, workerData: { url, bodies: batchBodies, concurrency, deadline } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

// COPY text format: backslash, tab, newline and carriage return are escaped; NULL is \N.
const copyField = (value) =>
  value === null || value === undefined
    ? '\\N'
    : String(value).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');

function copyText(body) {
  const { events } = JSON.parse(body);
  let text = '';
  for (const e of events) {
    text += `${[
      e.event_id,
      e.type,
      e.session_id,
      e.visitor_id,
      e.site_id,
      new Date(e.ts).toISOString(),
      e.url,
      e.path,
      'bench',
      null,
      JSON.stringify(e),
    ]
      .map(copyField)
      .join('\t')}\n`;
  }
  return text;
}

// COPY … FROM STDIN over node-postgres without pg-copy-streams: a minimal "submittable" that answers the
// server's CopyInResponse with the data and CopyDone.
function copyFrom(client, sql, text) {
  return new Promise((resolve, reject) => {
    let failure;
    client.query({
      submit: (connection) => connection.query(sql),
      handleCopyInResponse: (connection) => {
        connection.sendCopyFromChunk(Buffer.from(text));
        connection.endCopyFrom();
      },
      handleCommandComplete: () => undefined,
      handleRowDescription: () => undefined,
      handleDataRow: () => undefined,
      handleEmptyQuery: () => undefined,
      handleError: (error) => {
        failure = error;
      },
      handleReadyForQuery: () => (failure ? reject(failure) : resolve()),
    });
  });
}

const STAGE = `CREATE TEMP TABLE IF NOT EXISTS bench_stage (
  event_id uuid, event_type text, session_id text, visitor_id text, site_id text, ts timestamptz,
  url text, path text, user_agent text, ip_address inet, raw_event_data jsonb) ON COMMIT DELETE ROWS`;
const MOVE = `INSERT INTO events_log (event_id, event_type, session_id, visitor_id, site_id, "timestamp", url, path, user_agent, ip_address, raw_event_data)
  SELECT event_id, event_type, session_id, visitor_id, site_id, ts, url, path, user_agent, ip_address, raw_event_data FROM bench_stage
  ON CONFLICT (event_id) DO NOTHING RETURNING event_id`;

/** The raw ceiling on PostgreSQL: `concurrency` connections, one COPY→stage→INSERT transaction per batch. */
async function ceilingPostgres(databaseUrl, schema, batchBodies, concurrency, deadline) {
  const { default: pg } = await import('pg');
  const clients = await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const client = new pg.Client({ connectionString: databaseUrl, options: `-c search_path=${schema}` });
      await client.connect();
      await client.query(STAGE);
      return client;
    }),
  );
  let next = 0;
  let accepted = 0;
  const started = performance.now();
  await Promise.all(
    clients.map(async (client) => {
      while (next < batchBodies.length && Date.now() < deadline) {
        const text = copyText(batchBodies[next++]);
        await client.query('BEGIN');
        await copyFrom(client, 'COPY bench_stage FROM STDIN', text);
        const moved = await client.query(MOVE);
        accepted += moved.rowCount;
        await client.query('COMMIT');
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(clients.map((client) => client.end()));
  return { accepted, seconds };
}

/** The raw ceiling on PGlite: its own COPY from a blob, same transaction per batch (one connection). */
async function ceilingPglite(pglite, batchBodies, concurrency, deadline) {
  await pglite.exec(STAGE);
  let next = 0;
  let accepted = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < batchBodies.length && Date.now() < deadline) {
        const text = copyText(batchBodies[next++]);
        // Read the count after the await: \`accepted += await …\` would add to a stale value across lanes.
        const moved = await pglite.transaction(async (tx) => {
          await tx.query("COPY bench_stage FROM '/dev/blob'", [], { blob: new Blob([text]) });
          return (await tx.query(MOVE)).rows.length;
        });
        accepted += moved;
      }
    }),
  );
  return { accepted, seconds: (performance.now() - started) / 1000 };
}

/**
 * Runs every scenario and returns one row per measure. The scenarios alternate over `rounds` rounds (ceiling,
 * HTTP with each insert, ceiling, …) and each figure is the median of its rounds, so drift in the machine's load
 * (other processes on a shared box) hits all of them alike. Options: `requests` per scenario and round (default
 * 100 on PostgreSQL, 30 on PGlite), `rounds` (default 3), `concurrency` (default 4), `timeLimitMs` per
 * scenario and round (default 30 s).
 */
export async function benchPgIngest(options = {}) {
  const { openDatabase, migrate, startIngest, processEventsBatch } = await import(dist.href);
  const databaseUrl = process.env.DATABASE_URL;
  const engine = databaseUrl ? 'postgresql (DATABASE_URL)' : 'pglite (embedded, in memory)';
  const requests = options.requests ?? (databaseUrl ? 100 : 30);
  const rounds = options.rounds ?? 3;
  const concurrency = options.concurrency ?? 4;
  const timeLimitMs = options.timeLimitMs ?? 30_000;
  const schema = `tm_bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

  let admin;
  if (databaseUrl) {
    const { default: pg } = await import('pg');
    admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
  }
  const db = await openDatabase({ databaseUrl, schema: databaseUrl ? schema : undefined, maxConnections: concurrency + 2 });
  const runs = { ceiling: [], json: [], unnest: [] };
  const rows = [];
  try {
    await migrate(db);
    let first = 0;
    const batch = () => {
      const out = bodies(first, requests);
      first += requests;
      return out;
    };
    const servers = {};
    for (const strategy of ['json', 'unnest']) {
      servers[strategy] = await startIngest({
        db,
        sites: [SITE],
        etlIntervalMs: 0,
        insertStrategy: strategy,
        maxInFlight: 0,
        log: () => undefined,
      });
    }
    let stored = 0;
    try {
      for (let round = 0; round < rounds; round++) {
        // Every scenario starts from an empty events_log, except the last round's HTTP rows, kept for the ETL.
        await db.exec('TRUNCATE events_log');
        const ceilingBodies = batch();
        const deadline = Date.now() + timeLimitMs;
        runs.ceiling.push(
          databaseUrl
            ? await ceilingPostgres(databaseUrl, schema, ceilingBodies, concurrency, deadline)
            : await ceilingPglite(await pgliteOf(), ceilingBodies, concurrency, deadline),
        );
        await db.exec('TRUNCATE events_log');
        stored = 0;
        for (const strategy of round % 2 === 0 ? ['json', 'unnest'] : ['unnest', 'json']) {
          const result = await loadgen(
            `${servers[strategy].url}/v1/batch?key=${SITE.writeKey}`,
            batch(),
            concurrency,
            Date.now() + timeLimitMs,
          );
          if (result.failed) throw new Error(`${result.failed} requests failed in the ${strategy} run`);
          stored += result.accepted;
          runs[strategy].push(result);
        }
      }
    } finally {
      for (const server of Object.values(servers)) await server.close();
    }
    const summary = (list) => {
      const rates = list.map((run) => run.accepted / run.seconds).sort((a, b) => a - b);
      return {
        events: list.reduce((sum, run) => sum + run.accepted, 0),
        seconds: round2(list.reduce((sum, run) => sum + run.seconds, 0)),
        rate: rates[Math.floor(rates.length / 2)],
      };
    };
    const ceiling = summary(runs.ceiling);
    rows.push({
      measure: 'raw ceiling: COPY→stage→INSERT ON CONFLICT',
      engine,
      concurrency,
      events: ceiling.events,
      seconds: ceiling.seconds,
      'events/s': Math.round(ceiling.rate),
      'ratio to ceiling': 1,
    });
    for (const [strategy, label] of [
      ['json', 'HTTP → events_log (INSERT … jsonb_array_elements, default)'],
      ['unnest', 'HTTP → events_log (INSERT … unnest)'],
    ]) {
      const http = summary(runs[strategy]);
      rows.push({
        measure: label,
        engine,
        concurrency,
        events: http.events,
        seconds: http.seconds,
        'events/s': Math.round(http.rate),
        'ratio to ceiling': round2(http.rate / ceiling.rate),
      });
    }

    // The ETL over what the last round's HTTP runs stored.
    const started = performance.now();
    let processed = 0;
    for (;;) {
      const n = await processEventsBatch(db, 5000);
      processed += n;
      if (n === 0 || performance.now() - started > timeLimitMs) break;
    }
    const etlSeconds = (performance.now() - started) / 1000;
    rows.push({
      measure: 'ETL: process_events_batch(5000)',
      engine,
      concurrency: 1,
      events: processed,
      seconds: round2(etlSeconds),
      'events/s': Math.round(processed / etlSeconds),
      'ratio to ceiling': null,
    });
    if (processed !== stored) throw new Error(`the ETL processed ${processed} of ${stored} events`);
  } finally {
    await db.close();
    if (admin) {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  }
  return rows;
}

// The ceiling on PGlite needs PGlite's own COPY-from-blob API, which the Db interface does not expose: the bench
// opens its own instance of the same engine and migrates it, so both measures run on identical schemas.
let ownPglite;
async function pgliteOf() {
  if (!ownPglite) {
    const { PGlite } = await import('@electric-sql/pglite');
    ownPglite = await PGlite.create('memory://');
    const { migrate } = await import(dist.href);
    const shim = {
      kind: 'pglite',
      query: async (sql, params) => (await ownPglite.query(sql, params)).rows,
      exec: async (sql) => void (await ownPglite.exec(sql)),
      transaction: (fn) =>
        ownPglite.transaction((tx) =>
          fn({ query: async (s, p) => (await tx.query(s, p)).rows, exec: async (s) => void (await tx.exec(s)) }),
        ),
      close: () => ownPglite.close(),
    };
    await migrate(shim);
  }
  return ownPglite;
}

const round2 = (n) => Math.round(n * 100) / 100;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await benchPgIngest();
  console.table(rows);
  await ownPglite?.close();
}
