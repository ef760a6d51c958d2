// Benchmark of the ClickHouse backend (packages/clickhouse), every figure beside its ceiling measured in the same run:
//  - ingest: 100-event requests over HTTP (keep-alive, 8 in flight) through the ingest tier — N ingest processes on
//    one port, N = the cores — into a JetStream stream (R1, own nats-server), against JetStream's own publish
//    ceiling measured the same way: N publishers, 8 in flight in all, the same requests' messages from the same
//    encoder, the same stream replicas on the same node; the tier's CPU seconds give its events per CPU-second;
//  - loader: a stream pre-filled with events, drained by one loader into embedded chDB (events + visit rebuilds);
//  - freshness: from a request's 200 to its visit showing in the summary panel, p95, under a background load;
//  - panels: every panel of a 30-day view at 1M and 10M events (seeded straight into chDB: 1M generated, grown to 10M
//    by copies made inside ClickHouse with new ids), median of 3 each, bots left out as the dashboard asks.
// Run after `npm run build`, with chDB installed (node packages/clickhouse/scripts/install-chdb.mjs).
// Knobs: BENCH_CH_SECONDS (ingest phase length, default 8), BENCH_CH_LOADER_EVENTS (default 200000),
// BENCH_CH_PANEL_SIZES (default "1000000,10000000"), BENCH_CH_SEED_CAP_S (seeding cap per size, default 900),
// BENCH_CH_INGEST_WORKERS (ingest processes, default the cores), BENCH_CH_PARTS (default
// "ingest,loader,freshness,panels"). TRAILMARK_PORTS=LOW-HIGH keeps every server's port in that range.

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { generateVisits, requestsOf } from '../packages/clickhouse/scripts/generate-visits.mjs';
import { loadgen } from './pg-ingest.mjs';

const dist = new URL('../packages/clickhouse/dist/index.js', import.meta.url);
const SITE = { id: 'bench', writeKey: 'pk_bench_ch', readKey: 'sk_bench_ch', origins: [] };
const CONCURRENCY = 8;
const DAY = 86_400_000;
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const say = (line) => process.stderr.write(`bench clickhouse: ${line}\n`);

// One ceiling publisher: a worker thread with its own connection to the log, publishing its share of the messages
// (the same requests' events, encoded by the ingest node's own `encodeMessage`, before the clock starts).
const CEILING_PUBLISHER = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const { dist, generator, servers, stream, site, seed, inFlight, index, workers } = workerData;
  const ch = await import(dist);
  const { generateVisits, requestsOf } = await import(generator);
  const requests = requestsOf(generateVisits({ count: 400000, now: workerData.now, days: 6, site, seed }), 100).filter((r) => r.events.length === 100);
  // No user agent, as the load generator's requests (the message's browser, OS and device are null there too).
  const messages = requests.map((r) => ch.encodeMessage({ v: 1, site, skewMs: 0, browser: null, os: null, device: null, events: r.events }));
  const log = await ch.openEventLog({ servers, stream });
  parentPort.postMessage({ ready: true });
  const { until } = await new Promise((resolve) => parentPort.once('message', resolve));
  let done = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async (_, lane) => {
    for (let i = lane; Date.now() < until; i += inFlight) {
      await log.publish(messages[i % messages.length], 'ceiling-' + index + '-' + i);
      done++;
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  await log.close();
  parentPort.postMessage({ done, seconds });
})().catch((error) => parentPort.postMessage({ error: String(error?.stack ?? error) }));
`;

/**
 * JetStream's publish ceiling measured as the ingest tier is: `workers` publishers side by side (threads, each its
 * own connection, as the tier's processes have), `concurrency` publishes in flight in all, the very messages an
 * ingest node makes of the same 100-event requests, into a stream of the same replicas on the same node.
 */
async function publishCeiling(natsUrl, seconds, workers, now) {
  const threads = Array.from(
    { length: workers },
    (_, index) =>
      new Worker(CEILING_PUBLISHER, {
        eval: true,
        workerData: {
          dist: dist.href,
          generator: new URL('../packages/clickhouse/scripts/generate-visits.mjs', import.meta.url).href,
          servers: [natsUrl],
          stream: 'CEILING',
          site: SITE.id,
          seed: 7,
          now,
          inFlight: Math.max(1, Math.round(CONCURRENCY / workers)),
          index,
          workers,
        },
      }),
  );
  const next = (worker) =>
    new Promise((resolve, reject) => {
      worker.once('message', (m) => (m.error ? reject(new Error(m.error)) : resolve(m)));
      worker.once('error', reject);
    });
  try {
    await Promise.all(threads.map(next));
    const results = threads.map(next);
    const until = Date.now() + seconds * 1000;
    for (const worker of threads) worker.postMessage({ until });
    const runs = await Promise.all(results);
    const done = runs.reduce((sum, run) => sum + run.done, 0);
    return (done * 100) / Math.max(...runs.map((run) => run.seconds));
  } finally {
    await Promise.all(threads.map((worker) => worker.terminate()));
  }
}

/** CPU seconds used so far by a process and its children (Linux /proc; clock ticks of 1/100 s). */
function treeCpuSeconds(pid) {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(entry) === pid || Number(fields[1]) === pid) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100;
}

/**
 * The ingest tier against JetStream's ceiling, measured the same way: `workers` processes (`trailmark-clickhouse
 * ingest --workers N`, one port), `CONCURRENCY` requests in flight over keep-alive connections from a worker thread,
 * 100-event requests whose messages are the ceiling's (same events, same encoder), an R1 stream on the same node.
 */
async function ingestAndCeiling(ch, seconds) {
  const workers = Number(process.env.BENCH_CH_INGEST_WORKERS ?? cpus().length);
  const nats = await ch.startNatsNode({ port: await ch.freePort() });
  const now = Date.now();
  const requests = requestsOf(generateVisits({ count: 400_000, now, days: 6, site: SITE.id, seed: 7 }), 100).filter(
    (r) => r.events.length === 100,
  );
  const dir = mkdtempSync(join(tmpdir(), 'trailmark-bench-ch-ingest-'));
  let store;
  let served;
  let tier;
  try {
    const ceiling = await publishCeiling(nats.url, seconds, workers, now);
    // The tier's processes read (the SDK's check) from a chDB this process serves; a write asks it nothing.
    store = ch.openChdbStore(join(dir, 'chdb'));
    await ch.migrate(store);
    served = await ch.serveStore(store, await ch.freePort());
    const cli = fileURLToPath(new URL('../packages/clickhouse/bin/trailmark-clickhouse.mjs', import.meta.url));
    tier = spawn(
      process.execPath,
      [
        cli,
        'ingest',
        '--workers',
        String(workers),
        '--nats',
        nats.url,
        '--store-url',
        served.url,
        '--sites',
        JSON.stringify([SITE]),
        '--port',
        String(await ch.freePort()),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const url = await new Promise((resolve, reject) => {
      let out = '';
      tier.stdout.on('data', (chunk) => {
        out += chunk;
        const ready = /ingest ready on (\S+)/.exec(out);
        if (ready) resolve(ready[1]);
      });
      tier.once('exit', (code) => reject(new Error(`the ingest tier exited (${code}): ${out}`)));
    });
    // The same events as HTTP bodies, each round with fresh ids (an id seen before is answered as a duplicate and
    // not published), built before the clock starts: enough for the ceiling's rate.
    // At most 3,000 bodies (~100 MB): the worker receives them as a copy before it starts sending.
    const count = Math.min(3000, Math.ceil(((ceiling * seconds) / 100) * 1.2));
    const bodies = Array.from({ length: count }, (_, i) =>
      JSON.stringify({
        v: 1,
        events: requests[i % requests.length].events.map((event) => ({
          ...event,
          event_id: `${event.event_id.slice(0, 24)}${(i + 0x1000000000000).toString(16).slice(-12)}`,
        })),
      }),
    );
    const cpuBefore = treeCpuSeconds(tier.pid);
    // The worker times itself from its first request; the deadline leaves room for the copy.
    const result = await loadgen(`${url}/v1/batch?key=${SITE.writeKey}`, bodies, CONCURRENCY, Date.now() + (seconds + 30) * 1000);
    const cpuSeconds = treeCpuSeconds(tier.pid) - cpuBefore;
    if (result.failed > 0) throw new Error(`ingest: ${result.failed} requests were not answered 200`);
    // Only events the node accepted count (an earlier version of this bench counted refused ones too).
    if (result.accepted === 0) throw new Error('ingest: no event was accepted');
    const ingest = result.accepted / result.seconds;
    return {
      workers,
      ceiling_events_per_s: Math.round(ceiling),
      ingest_events_per_s: Math.round(ingest),
      ingest_cpu_seconds: Number(cpuSeconds.toFixed(1)),
      ingest_events_per_cpu_s: Math.round(result.accepted / cpuSeconds),
      ratio: Number((ingest / ceiling).toFixed(2)),
    };
  } finally {
    if (tier && tier.exitCode === null) {
      const exited = new Promise((resolve) => tier.once('exit', resolve));
      tier.kill('SIGTERM');
      await exited;
    }
    await served?.close();
    await store?.close();
    await nats.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `work` again (up to 10 times, a second apart) when the log answers late: a loaded machine's NATS timeouts. */
async function patiently(work) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

async function loaderRate(ch, count) {
  const nats = await ch.startNatsNode();
  const dir = mkdtempSync(join(tmpdir(), 'trailmark-bench-ch-'));
  const store = ch.openChdbStore(join(dir, 'chdb'));
  let log;
  try {
    await ch.migrate(store);
    log = await ch.openEventLog({ servers: [nats.url] });
    const requests = requestsOf(generateVisits({ count, now: Date.now(), days: 6, site: SITE.id, seed: 11 }), 100);
    const messages = requests.map((request) =>
      ch.encodeMessage({ v: 1, site: SITE.id, skewMs: 0, browser: 'Chrome', os: 'Windows', device: 'desktop', events: request.events }),
    );
    // The stream filled first (a publish the log answers late is sent again: its message id drops a repeat).
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < messages.length) {
          const i = next++;
          await patiently(() => log.publish(messages[i], `m${i}`));
        }
      }),
    );
    const started = performance.now();
    // The CPU time of this process while it loads (the loader's JavaScript and chDB's threads; nothing else runs
    // here meanwhile): events per CPU-second is the rate per core, whatever else the machine was doing.
    const cpu = process.cpuUsage();
    const loader = ch.startLoader({ log, store });
    while ((await patiently(() => log.backlog())) > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const cpuSeconds = (used.user + used.system) / 1e6;
    await loader.stop();
    const [stored] = await store.query('SELECT (SELECT count() FROM events FINAL) AS events, (SELECT count() FROM visits FINAL) AS visits');
    if (Number(stored?.events) !== count) throw new Error(`the loader stored ${stored?.events} events of ${count}`);
    return {
      events: count,
      visits: Number(stored?.visits),
      seconds: Number(seconds.toFixed(1)),
      loader_events_per_s: Math.round(count / seconds),
      cpu_seconds: Number(cpuSeconds.toFixed(1)),
      loader_events_per_cpu_s: Math.round(count / cpuSeconds),
      batches: loader.counters.batches,
      redelivered_messages: loader.counters.redelivered,
      failed_batches: loader.counters.failures,
    };
  } finally {
    // Closed whatever happened: libchdb allows one data directory per process, and the next part opens its own.
    await log?.close().catch(() => undefined);
    await store.close();
    await nats.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function freshness(ch, loaderEventsPerS, samples = 40) {
  const nats = await ch.startNatsNode();
  const running = await ch.startClickhouse({ sites: [SITE], log: { servers: [nats.url] }, say: (line) => say(`freshness node: ${line}`) });
  const background = requestsOf(generateVisits({ count: 200_000, now: Date.now(), days: 6, site: SITE.id, seed: 13 }), 100);
  let stop = false;
  let b = 0;
  // A steady background load well under the loader's measured bulk rate (a quarter, at most 2,000 events/s: a trickle
  // loads in small batches, each paying a whole insert, and a loader run at or past its rate only grows a backlog,
  // which freshness would then measure), while the samples are taken.
  const backgroundEventsPerS = Math.max(100, Math.min(2000, Math.round((loaderEventsPerS || 400) / 4)));
  const gapMs = (100 / backgroundEventsPerS) * 1000;
  const load = (async () => {
    while (!stop && b < background.length) {
      const request = background[b++];
      const sent = performance.now();
      await fetch(`${running.url}/v1/batch?key=${SITE.writeKey}`, {
        method: 'POST',
        body: JSON.stringify({ v: 1, events: request.events }),
      }).then((r) => r.arrayBuffer());
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, gapMs - (performance.now() - sent))));
    }
  })();
  const delays = [];
  try {
    for (let n = 0; n < samples; n++) {
      const now = Date.now();
      // No long digit runs in the path: a Luhn-valid one is redacted as a card number.
      const path = `/fresh/${n}-${now.toString(36)}`;
      const event = {
        event_id: crypto.randomUUID(),
        type: 'pageview',
        ts: now,
        site_id: SITE.id,
        visitor_id: `fv${n}`,
        session_id: `fs${n}-${now}`,
        seq: 1,
        url: `https://shop.example${path}`,
        path,
      };
      const response = await fetch(`${running.url}/v1/batch?key=${SITE.writeKey}`, {
        method: 'POST',
        body: JSON.stringify({ v: 1, events: [event] }),
      });
      if (response.status !== 200) throw new Error(`freshness: ingest answered ${response.status}`);
      const acked = performance.now();
      const params = new URLSearchParams({ from: String(now - 3_600_000), to: String(now + 3_600_000), 'filter.entry_page': path });
      for (;;) {
        const panel = await fetch(`${running.url}/v1/stats/summary?${params}`, {
          headers: { authorization: `Bearer ${SITE.readKey}` },
        }).then((r) => r.json());
        if (panel.data?.visits === 1) break;
        if (performance.now() - acked > 60_000) {
          const state = {
            loader: running.loaders[0]?.counters,
            backlog: await running.log.backlog(),
            background_sent: b,
            visit: await running.store.query('SELECT start_ms, entry_page FROM visits FINAL WHERE session_id = {s:String}', {
              s: event.session_id,
            }),
            panel,
          };
          throw new Error(`freshness: a visit did not show within 60 s (${JSON.stringify(state)})`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      delays.push(performance.now() - acked);
    }
  } finally {
    stop = true;
    await load;
    await running.close();
    await nats.close();
  }
  delays.sort((a, b) => a - b);
  return {
    samples,
    background_events_per_s: backgroundEventsPerS,
    p50_ms: Math.round(delays[Math.floor(samples * 0.5)]),
    p95_ms: Math.round(delays[Math.ceil(samples * 0.95) - 1]),
    max_ms: Math.round(delays[samples - 1]),
  };
}

/** Events generated in JavaScript; past this, the store grows by copies of them made inside ClickHouse. */
const GENERATED = 1_000_000;

/**
 * Grows the store to `count` events over 30 days, straight into chDB (events and their visit rows): up to
 * `GENERATED` of them generated in chunks, the rest as copies of those made inside ClickHouse, each copy with new
 * visit, visitor and event ids (generating 10M in JavaScript took longer than the seeding cap on a loaded machine).
 * `previous` is the previous size's state (the sizes share one store, smallest first).
 */
async function seedStore(ch, store, count, capMs, previous) {
  let seeded;
  const started = Date.now();
  seeded = previous ? { ...previous } : await generateInto(ch, store, Math.min(count, GENERATED), capMs);
  for (let copy = seeded.copies + 1; seeded.events + seeded.generated <= count && !seeded.capped; copy++) {
    const suffix = `'~${copy}'`;
    // Explicit column lists: `INSERT … SELECT * REPLACE (…)` inserted nothing in chDB 3.4, without an error.
    await copyRows(store, 'events', {
      session_id: `concat(session_id, ${suffix})`,
      event_id: 'generateUUIDv4()',
      visitor_id: `concat(visitor_id, ${suffix})`,
    });
    await copyRows(store, 'visits', { session_id: `concat(session_id, ${suffix})`, visitor_id: `concat(visitor_id, ${suffix})` });
    seeded.events += seeded.generated;
    seeded.copies = copy;
  }
  seeded.seconds = Math.round((Date.now() - started) / 1000) + (seeded.seconds ?? 0);
  return seeded;
}

/** Copies a table's generated rows (no `~` in their visit id) with some columns replaced by expressions. */
async function copyRows(store, table, replace) {
  const columns = (
    await store.query(
      "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = {table:String} AND default_kind NOT IN ('MATERIALIZED', 'ALIAS') ORDER BY position",
      { table },
    )
  ).map((row) => row.name);
  const list = columns.map((name) => `\`${name}\``).join(', ');
  const values = columns.map((name) => replace[name] ?? `\`${name}\``).join(', ');
  const from = table === 'visits' ? 'visits FINAL' : table;
  await store.command(
    `INSERT INTO ${table} (${list}) SELECT ${values} FROM ${from} WHERE site_id = {site:String} AND position(session_id, '~') = 0`,
    { site: SITE.id },
  );
}

async function generateInto(ch, store, count, capMs) {
  const started = Date.now();
  const chunk = 250_000;
  let written = 0;
  let seq = 0;
  for (let seed = 1; written < count && Date.now() - started < capMs; seed++) {
    const visits = generateVisits({ count: Math.min(chunk, count - written), now: started, days: 30, site: SITE.id, seed: 100 + seed });
    const messages = requestsOf(visits, 100).map((request) => {
      const agent = parseAgentClass(request.userAgent);
      const message = {
        v: 1,
        site: SITE.id,
        skewMs: 0,
        browser: agent.browser,
        os: agent.os,
        device: agent.device,
        events: request.events,
      };
      written += request.events.length;
      return { seq: ++seq, data: ch.encodeMessage(message) };
    });
    for (let i = 0; i < messages.length; i += 500) await ch.loadBatch(store, messages.slice(i, i + 500));
  }
  return { events: written, generated: written, copies: 0, capped: written < count };
}
let parseAgentClass;

async function panels(ch, store, size, capMs, previous) {
  {
    const seeded = await seedStore(ch, store, size, capMs, previous);
    await store.command('OPTIMIZE TABLE visits FINAL');
    const [disk] = await store.query(
      "SELECT sum(data_compressed_bytes) AS bytes, sumIf(rows, table = 'visits') AS visits FROM system.parts WHERE active AND database = currentDatabase() AND table IN ('events', 'visits')",
    );
    seeded.compressed_bytes_per_event = Number((Number(disk?.bytes) / seeded.events).toFixed(1));
    seeded.visits = Number(disk?.visits);
    const running = await ch.startClickhouse({ sites: [SITE], store, migrate: false, say: () => undefined });
    const now = Date.now();
    const to = Math.ceil(now / 3_600_000) * 3_600_000;
    const base = { from: String(to - 30 * DAY), to: String(to) };
    const asks = [
      ['summary', {}],
      ['timeseries', {}],
      ['breakdown by page', { by: 'page' }],
      ['breakdown by source', { by: 'source' }],
      ['breakdown by country', { by: 'country' }],
      ['breakdown by browser', { by: 'browser' }],
      ['goals', {}],
      ['funnel', { step: 'page:/p/0' }],
      ['vitals', {}],
      ['summary, filtered by page', { 'filter.page': '/p/3' }],
      ['summary, bots only', { bots: 'only' }],
      ['goal_props', { goal: 'signup', prop: 'plan' }],
      ['outbound', {}],
      ['downloads', {}],
      ['scroll', {}],
      ['engagement', {}],
      ['revenue', {}],
      ['completeness', {}],
    ];
    const times = {};
    for (const [name, extra] of asks) {
      const panel = name.split(/[ ,]/)[0];
      const params = new URLSearchParams({ ...base, ...extra });
      if (panel === 'funnel') params.append('step', 'event:signup');
      const runs = [];
      for (let r = 0; r < 3; r++) {
        const t = performance.now();
        const response = await fetch(`${running.url}/v1/stats/${panel}?${params}`, {
          headers: { authorization: `Bearer ${SITE.readKey}` },
        });
        if (response.status !== 200) throw new Error(`${name}: ${response.status} ${await response.text()}`);
        await response.json();
        runs.push(performance.now() - t);
      }
      times[name] = Math.round(median(runs));
    }
    await running.close();
    return { seeded, panels_ms: times, slowest_ms: Math.max(...Object.values(times)) };
  }
}

/** Every figure of the ClickHouse backend (see the head of this file). */
export async function benchClickhouse() {
  const ch = await import(dist);
  ({ parseAgentClass } = await import('../packages/protocol/dist/index.js'));
  if (!ch.chdbAvailable()) throw new Error('chDB is not installed: node packages/clickhouse/scripts/install-chdb.mjs');
  if (!ch.natsServerBinary()) throw new Error('nats-server is not installed');
  const seconds = Number(process.env.BENCH_CH_SECONDS ?? 8);
  const report = { machine: { cpus: cpus().length, loadavg_before: loadavg().map((n) => Number(n.toFixed(1))) } };
  // Each part on its own: one failing (reported with its error) does not hide the others' figures.
  const part = async (name, work) => {
    say(`${name}…`);
    try {
      return await work();
    } catch (error) {
      say(`${name} failed: ${error?.message ?? error}`);
      return { error: String(error?.message ?? error) };
    }
  };
  // BENCH_CH_PARTS picks parts (default all: ingest,loader,freshness,panels), e.g. to profile one alone.
  const parts = new Set((process.env.BENCH_CH_PARTS ?? 'ingest,loader,freshness,panels').split(','));
  if (parts.has('ingest')) report.ingest = await part('ingest vs JetStream publish ceiling', () => ingestAndCeiling(ch, seconds));
  if (parts.has('loader'))
    report.loader = await part('loader', () => loaderRate(ch, Number(process.env.BENCH_CH_LOADER_EVENTS ?? 200_000)));
  if (parts.has('freshness')) report.freshness = await part('freshness', () => freshness(ch, report.loader?.loader_events_per_s));
  report.panels = {};
  if (!parts.has('panels')) {
    report.machine.loadavg_after = loadavg().map((n) => Number(n.toFixed(1)));
    return report;
  }
  // One store for every size, smallest first: each size grows the previous one.
  const dir = mkdtempSync(join(tmpdir(), 'trailmark-bench-ch-panels-'));
  const store = ch.openChdbStore(join(dir, 'chdb'));
  try {
    await ch.migrate(store);
    let previous;
    const sizes = (process.env.BENCH_CH_PANEL_SIZES ?? '1000000,10000000').split(',').filter(Boolean).map(Number);
    for (const size of sizes.sort((a, b) => a - b)) {
      say(`panels at ${size} events…`);
      try {
        report.panels[size] = await panels(ch, store, size, Number(process.env.BENCH_CH_SEED_CAP_S ?? 900) * 1000, previous);
        previous = report.panels[size].seeded;
      } catch (error) {
        report.panels[size] = { error: String(error?.message ?? error) };
      }
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  report.machine.loadavg_after = loadavg().map((n) => Number(n.toFixed(1)));
  return report;
}

const fmt = (n) => (typeof n === 'number' ? n.toLocaleString('en') : String(n));

/**
 * The doc's figures, from one run: the rows beside their targets, and sizing on paper for 100M events a day and 1B
 * stored from the per-core rates (each ingest node and each loader is one Node process: about one core, plus
 * ClickHouse's own threads for the loader's inserts). `pgEventsPerS` is the Postgres backend's rate of the same run.
 */
export function clickhouseDoc(r, pgEventsPerS) {
  const lines = ['| figure | measured | target |', '| --- | --- | --- |'];
  const i = r.ingest ?? {};
  lines.push(
    `| ingest through the ingest tier (${i.workers ?? 1} ingest processes on one port, 100-event requests, ${CONCURRENCY} in flight over keep-alive) | ${fmt(i.ingest_events_per_s)} events/s | |`,
  );
  if (i.ingest_events_per_cpu_s)
    lines.push(
      `| ingest tier per CPU-second (its processes' CPU: ${i.ingest_cpu_seconds} CPU-s) | ${fmt(i.ingest_events_per_cpu_s)} events per CPU-second | |`,
    );
  lines.push(
    `| JetStream publish ceiling (${i.workers ?? 1} publishers, ${CONCURRENCY} in flight in all, the same requests' messages, R1 on the same node) | ${fmt(i.ceiling_events_per_s)} events/s | |`,
  );
  lines.push(`| ingest ÷ JetStream ceiling | ${i.ratio ?? 'n/a'} | ≥ 0.8 |`);
  if (pgEventsPerS)
    lines.push(
      `| ingest ÷ Postgres backend's rate (${fmt(pgEventsPerS)} events/s, same run) | ${(i.ingest_events_per_s / pgEventsPerS).toFixed(2)} | ≥ 2 |`,
    );
  else lines.push(`| ingest ÷ Postgres backend's rate | not measured in this run (run \`npm run bench\`) | ≥ 2 |`);
  lines.push(
    `| loader into embedded chDB (${fmt(r.loader?.events)} events and ${fmt(r.loader?.visits)} visits; wall clock) | ${fmt(r.loader?.loader_events_per_s)} events/s | ≥ 100,000 |`,
    `| loader per CPU-second (its JavaScript and chDB's threads: ${r.loader?.cpu_seconds ?? 'n/a'} CPU-s in all) | ${fmt(r.loader?.loader_events_per_cpu_s)} events per CPU-second | |`,
  );
  lines.push(
    r.freshness?.error
      ? `| freshness, 200 → visit in the summary panel | not measured: ${r.freshness.error} | p95 ≤ 5,000 ms |`
      : `| freshness, 200 → visit in the summary panel (${r.freshness?.samples} samples, background ${fmt(r.freshness?.background_events_per_s)} events/s) | p50 ${fmt(r.freshness?.p50_ms)} ms, p95 ${fmt(r.freshness?.p95_ms)} ms | p95 ≤ 5,000 ms |`,
  );
  for (const [size, p] of Object.entries(r.panels ?? {})) {
    if (p.error) {
      lines.push(`| panels, 30-day view at ${fmt(Number(size))} events | not measured: ${p.error} | ≤ 1,000 ms each at 10M |`);
      continue;
    }
    const capped = p.seeded.capped
      ? ` (seeding capped at ${fmt(p.seeded.events)} events)`
      : p.seeded.copies
        ? ` (${fmt(p.seeded.generated)} generated, then ${p.seeded.copies} copies with new visit, visitor and event ids)`
        : '';
    const each = Object.entries(p.panels_ms)
      .map(([name, ms]) => `${name} ${fmt(ms)}`)
      .join(', ');
    lines.push(
      `| panels, 30-day view at ${fmt(p.seeded.events)} events${capped}, ms (median of 3) | ${each}; slowest ${fmt(p.slowest_ms)} | ≤ 1,000 each at 10M |`,
    );
  }
  const sizes = Object.values(r.panels ?? {}).filter((p) => !p.error);
  if (sizes.length === 2) {
    const [a, b] = sizes;
    lines.push(
      `| growth of the slowest panel from ${fmt(a.seeded.events)} to ${fmt(b.seeded.events)} events | × ${(b.slowest_ms / a.slowest_ms).toFixed(1)} for × ${(b.seeded.events / a.seeded.events).toFixed(1)} events | |`,
    );
  }
  lines.push(
    '',
    `Machine: ${r.machine?.cpus} cores, load average ${r.machine?.loadavg_before?.join(' ')} before and ${r.machine?.loadavg_after?.join(' ')} after (shared with other work).`,
  );
  const bench = lines.join('\n');
  // Sizing on paper.
  const perDay = 100_000_000;
  const peak = Math.round((perDay / 86_400) * 4);
  // An ingest process's cores: from the tier's rate per CPU-second (what an idle core gives), else its wall rate.
  const ingestRate = i.ingest_events_per_cpu_s || i.ingest_events_per_s || 1;
  const ingestNodes = Math.ceil(peak / ingestRate) + 1;
  // A loader's cores: from its rate per CPU-second (what an idle core gives), not its wall-clock rate on a shared box.
  const loaderRate = r.loader?.loader_events_per_cpu_s || r.loader?.loader_events_per_s || 1;
  const loaders = Math.ceil(peak / loaderRate) + 1;
  const biggest = sizes[sizes.length - 1];
  const bytes = biggest?.seeded.compressed_bytes_per_event;
  const sizing = [
    `100M events a day is ${fmt(Math.round(perDay / 86_400))} events/s on average; sized for a peak of 4× that, ${fmt(peak)} events/s:`,
    '',
    `Per-process rates below were measured on the machine named under "Measured"; where its load average was far above its core count, a process got a fraction of a core, and an idle core does several times more.`,
    '',
    `- **ingest nodes**: ${fmt(ingestRate)} events per CPU-second (an ingest process is one JavaScript thread: about a core at full load) → ${ingestNodes} cores of ingest processes (one spare included; \`ingest --workers N\` runs N on one host's port), behind a load balancer; ${fmt(i.ingest_events_per_s)} events/s wall clock through ${i.workers ?? 1} processes on this shared machine.`,
    `- **log**: a 3-node JetStream cluster, R3 stream; this machine's single-node publish ceiling was ${fmt(i.ceiling_events_per_s)} events/s, so the peak uses ${((peak / (i.ceiling_events_per_s || 1)) * 100).toFixed(0)}% of one node's; 24 h retention at about ${fmt(Math.round((perDay * 600) / 1e9))} GB a day of JSON per replica (≈ 600 B an event).`,
    `- **loaders**: ${fmt(loaderRate)} events per CPU-second (a loader and its ClickHouse inserts, measured into embedded chDB) → ${loaders} cores of loaders (one spare included); ${fmt(r.loader?.loader_events_per_s)} events/s wall clock on this shared machine.`,
    bytes
      ? `- **ClickHouse storage**: ${bytes} compressed bytes per event (events + visits, measured at ${fmt(biggest.seeded.events)} events) → ${fmt(Math.round((bytes * 1e9) / 1e9))} GB for 1B stored events, ×2 with a replica.`
      : '- **ClickHouse storage**: not measured in this run.',
    biggest
      ? `- **reads**: the slowest 30-day panel took ${fmt(biggest.slowest_ms)} ms over ${fmt(biggest.seeded.visits ?? 0)} visits here; panels scan a site's visits in range, so a site with 1B events in one 30-day view (≈ ${fmt(Math.round((1e9 * (biggest.seeded.visits ?? 0)) / biggest.seeded.events / 1e6))}M visits) needs that work spread over shards: about ${Math.ceil((biggest.slowest_ms / 1000) * (1e9 / biggest.seeded.events))} core-seconds per panel, i.e. ${Math.ceil(((biggest.slowest_ms / 1000) * (1e9 / biggest.seeded.events)) / 8)} shards of 8 cores for about 1 s.`
      : '- **reads**: not measured in this run.',
  ].join('\n');
  return { bench, sizing };
}

/** Writes the figures between the markers of docs/backends/clickhouse.md. */
export function writeClickhouseDoc(r, pgEventsPerS) {
  const file = new URL('../docs/backends/clickhouse.md', import.meta.url);
  const text = readFileSync(file, 'utf8');
  const block = (name) => new RegExp(`(<!-- ${name}:start -->)([\\s\\S]*?)(<!-- ${name}:end -->)`);
  let { bench, sizing } = clickhouseDoc(r, pgEventsPerS);
  if (Object.keys(r.panels ?? {}).length === 0) {
    // A run without the panels (BENCH_CH_PARTS) keeps the panel rows, their notes and the sizing they feed from
    // the run that measured them, marked as such.
    const old = (name) => block(name).exec(text)?.[2] ?? '';
    const kept = old('clickhouse-bench')
      .split('\n')
      .filter((line) => /^\| panels|^\| growth/.test(line));
    const notes = old('clickhouse-bench')
      .split('\n')
      .filter((line) => /^Panel rows|^The 1M panel row/.test(line));
    const rows = bench.split('\n');
    const end = rows.findIndex((line) => line === '');
    const machine = rows
      .slice(end)
      .map((line) => (line.startsWith('Machine:') ? `Write-side rows (ingest, loader, freshness) from this run: ${line}` : line));
    bench = [...rows.slice(0, end), ...kept, ...machine, ...notes].join('\n');
    const keptSizing = old('clickhouse-sizing')
      .split('\n')
      .filter((line) => /^- \*\*(ClickHouse storage|reads)\*\*/.test(line));
    sizing = sizing
      .split('\n')
      .filter((line) => !/^- \*\*(ClickHouse storage|reads)\*\*/.test(line))
      .concat(keptSizing.map((line) => (line.endsWith("(from the panels' run)") ? line : `${line} (from the panels' run)`)))
      .join('\n');
  }
  const put = (doc, name, body) => doc.replace(block(name), `$1\n${body}\n$3`);
  writeFileSync(file, put(put(text, 'clickhouse-bench', bench), 'clickhouse-sizing', sizing));
}

/** The Postgres backend's ingest rate, measured now (`bench/pg-ingest.mjs`: DATABASE_URL, else PGlite). */
async function postgresRate() {
  const { benchPgIngest } = await import('./pg-ingest.mjs');
  const rows = await benchPgIngest();
  return rows.find((row) => row.measure.includes('default'))?.['events/s'];
}

// Alone (`node bench/clickhouse.mjs`), the Postgres backend's rate is measured in the same run as well, unless
// BENCH_PG_EVENTS_PER_S gives it (`npm run bench` hands over the one it measured).
if (import.meta.url === `file://${process.argv[1]}`) {
  const pg = Number(process.env.BENCH_PG_EVENTS_PER_S) || (await postgresRate());
  const report = await benchClickhouse();
  report.postgres_ingest_events_per_s = pg;
  console.log(JSON.stringify(report, null, 2));
  writeClickhouseDoc(report, pg);
}
