// Events/s through the D1 Worker's POST /track/batch (100-event batches, 4 in flight) under Miniflare,
// against the raw ceiling measured in the same run: a bare Worker that only writes the same rows with
// multi-row D1 inserts (12 rows each, under D1's 100-bound-parameter limit) into the same schema.
// Two other ways to write the rows are measured beside it: one INSERT … SELECT FROM json_each(?) per
// batch, and a batch() of 100 one-row INSERTs. Run: `node bench/d1-worker.mjs` (builds the bundle if missing).
import { pathToFileURL } from 'node:url';
import { Miniflare } from 'miniflare';
import { COMPATIBILITY_DATE, ensureBundle, seedSite, startWorker } from '../packages/d1-worker/scripts/local.mjs';
import { applyMigrations } from '../packages/d1-worker/scripts/migrations.mjs';

const BATCH = 100;
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 4);
// Each round sends one slice per path, back to back, so a ratio compares runs made under the same machine
// load (a shared 2-core box swings by 2× between minutes); the figures are medians over the rounds.
const SLICE_BATCHES = Number(process.env.BENCH_BATCHES ?? 60);
const MAX_MS = Number(process.env.BENCH_MS ?? 4000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const KEY = 'pk_bench';

// The bare Worker: parse, build the same rows, write them. No validation, key, upsert or live updates.
const BARE_WORKER = `
const COLUMNS = ['event_id', 'site_id', 'visitor_id', 'session_id', 'type', 'ts', 'engaged_ms', 'payload'];
const PER_INSERT = Math.floor((100 - 3) / COLUMNS.length);
const HEAD = 'INSERT INTO events (ingest_id, api_key, received_at, ' + COLUMNS.join(', ') + ')';
export default {
  async fetch(request, env) {
    const mode = new URL(request.url).searchParams.get('mode') ?? 'multirow';
    const { events } = await request.json();
    const shared = [crypto.randomUUID(), '${KEY}', Date.now()];
    const rows = events.map((e) => [e.event_id, e.site_id, e.visitor_id, e.session_id, e.type, e.ts, 0, JSON.stringify(e)]);
    let statements;
    if (mode === 'json_each') {
      const pick = COLUMNS.map((_, i) => "json_extract(value, '$[" + i + "]')").join(', ');
      statements = [env.DB.prepare(HEAD + ' SELECT ?1, ?2, ?3, ' + pick + ' FROM json_each(?4) WHERE true ON CONFLICT (event_id) DO NOTHING').bind(...shared, JSON.stringify(rows))];
    } else if (mode === 'single') {
      const one = env.DB.prepare(HEAD + ' VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (event_id) DO NOTHING');
      statements = rows.map((row) => one.bind(...shared, ...row));
    } else {
      statements = [];
      for (let start = 0; start < rows.length; start += PER_INSERT) {
        const chunk = rows.slice(start, start + PER_INSERT);
        const values = [...shared];
        const tuples = chunk.map((row) => {
          const first = values.length + 1;
          values.push(...row);
          return '(?1, ?2, ?3, ' + row.map((_, i) => '?' + (first + i)).join(', ') + ')';
        });
        statements.push(env.DB.prepare(HEAD + ' VALUES ' + tuples.join(', ') + ' ON CONFLICT (event_id) DO NOTHING').bind(...values));
      }
    }
    await env.DB.batch(statements);
    return Response.json({ ok: true, stored: rows.length });
  },
};`;

let sequence = 0;

let batches = 0;

/**
 * `count` request bodies of `BATCH` fresh events each, built before timing starts. Like the SDK's, each
 * batch comes from one browser: one visitor and session (of 500 rotating), a pageview every 10 events.
 */
function bodies(count) {
  const now = Date.now();
  return Array.from({ length: count }, () => {
    batches += 1;
    const visitor = batches % 500;
    const events = Array.from({ length: BATCH }, (_, i) => {
      sequence += 1;
      const hex = sequence.toString(16).padStart(12, '0');
      return {
        event_id: `0190a0b0-${hex.slice(0, 4)}-7000-8000-${hex.slice(-12)}`,
        type: i % 10 === 0 ? 'pageview' : i % 10 === 1 ? 'heartbeat' : 'click',
        ts: now - 1000,
        site_id: 'bench',
        visitor_id: `visitor-${visitor}`,
        session_id: `session-${visitor}`,
        seq: i + 1,
        url: `https://bench.example/page-${Math.floor(i / 10)}?plan=pro`,
        path: `/page-${Math.floor(i / 10)}`,
        title: 'Pricing',
        language: 'en-NZ',
        screen_w: 1920,
        screen_h: 1080,
        props: i % 10 === 1 ? { engaged_ms: 15000 } : { tag: 'button', text: 'Buy now', x: 512, y: 384 },
      };
    });
    return JSON.stringify({ v: 1, sdk: 'trailmark/bench', sent_at: now, events });
  });
}

/** Sends the bodies `IN_FLIGHT` at a time until they run out or `MAX_MS` passes; events/s of 200 answers. */
async function drive(url, payloads) {
  let next = 0;
  let events = 0;
  const started = performance.now();
  const deadline = started + MAX_MS;
  const lane = async () => {
    while (next < payloads.length && performance.now() < deadline) {
      const body = payloads[next++];
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-trailmark-key': KEY }, body });
      const answer = await response.json();
      if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${JSON.stringify(answer)}`);
      events += answer.accepted?.length ?? answer.stored;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  const seconds = (performance.now() - started) / 1000;
  return { events, seconds, perSecond: events / seconds };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function startBare() {
  const mf = new Miniflare({
    modules: true,
    script: BARE_WORKER,
    compatibilityDate: COMPATIBILITY_DATE,
    host: '127.0.0.1',
    port: 0,
    cf: false,
    d1Databases: { DB: 'bench-bare' },
  });
  const url = await mf.ready;
  await applyMigrations(await mf.getD1Database('DB'));
  return { mf, url };
}

/** Runs the benchmark and returns events/s per path and the worker's ratio to the raw ceiling. */
export async function benchD1Worker() {
  await ensureBundle();
  const worker = await startWorker({ cf: { country: 'NZ', city: 'Wellington', asOrganization: 'Bench Networks' } });
  const bare = await startBare();
  try {
    await seedSite(worker.db, { site: 'bench', writeKey: KEY, secretKey: 'sk_bench', website: '*' });
    const paths = {
      // workerd's own socket, as the bare Workers below: the local front (scripts/local.mjs) is not the Worker's cost.
      worker: `${worker.workerdUrl.href}track/batch`,
      ceiling: `${bare.url.href}?mode=multirow`,
      jsonEach: `${bare.url.href}?mode=json_each`,
      single: `${bare.url.href}?mode=single`,
    };
    // Warm both isolates and D1 files.
    for (const url of Object.values(paths)) await drive(url, bodies(10));
    const runs = Object.fromEntries(Object.keys(paths).map((name) => [name, []]));
    const ratios = [];
    const againstJsonEach = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which of the two compared paths goes first.
      const order = round % 2 ? ['ceiling', 'worker', 'jsonEach', 'single'] : ['worker', 'ceiling', 'single', 'jsonEach'];
      const result = {};
      for (const name of order) result[name] = await drive(paths[name], bodies(SLICE_BATCHES));
      for (const name of order) runs[name].push(result[name]);
      ratios.push(result.worker.perSecond / result.ceiling.perSecond);
      againstJsonEach.push(result.worker.perSecond / result.jsonEach.perSecond);
    }
    const results = Object.fromEntries(
      Object.entries(runs).map(([name, list]) => [
        name,
        { events: list.reduce((sum, r) => sum + r.events, 0), perSecond: median(list.map((r) => r.perSecond)) },
      ]),
    );
    return {
      batch: BATCH,
      inFlight: IN_FLIGHT,
      rounds: ROUNDS,
      results,
      ratio: median(ratios),
      ratios,
      // The Worker writes with json_each, so this is its overhead over the same write done bare.
      ratioJsonEach: median(againstJsonEach),
    };
  } finally {
    await worker.mf.dispose();
    await bare.mf.dispose();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { batch, inFlight, rounds, results, ratio, ratios, ratioJsonEach } = await benchD1Worker();
  const label = {
    worker: 'POST /track/batch (validate, store, upsert visitors)',
    ceiling: 'raw ceiling: multi-row INSERTs (12 rows) in one batch()',
    jsonEach: 'alternative: INSERT … SELECT FROM json_each(?)',
    single: 'alternative: batch() of 100 one-row INSERTs',
  };
  console.log(`D1 Worker under Miniflare: ${batch}-event batches, ${inFlight} in flight, median of ${rounds} interleaved rounds\n`);
  console.table(
    Object.entries(results).map(([name, r]) => ({
      path: label[name],
      'events sent': r.events,
      'events/s (median)': Math.round(r.perSecond),
    })),
  );
  console.log(
    `\nworker / ceiling = ${ratio.toFixed(2)} (median of per-round ratios ${ratios.map((r) => r.toFixed(2)).join(' ')}; target ≥ 0.80)`,
  );
  console.log(
    `worker / bare json_each write = ${ratioJsonEach.toFixed(2)} (the same write without validation, upsert, usage and live updates)`,
  );
}
