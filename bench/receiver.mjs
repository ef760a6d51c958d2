// Benchmark of the reference receiver: events/s ingested durably with 100-event batches from a loopback load
// generator, against two ceilings measured in the same run on the same requests:
//   1. a bare Node http server that reads and discards each request;
//   2. the same bare server doing JSON.parse plus one durable insert transaction per request into better-sqlite3
//      with the receiver's schema and pragmas (WAL, synchronous=FULL): the storage ceiling.
// The load generator runs in a worker thread (its own core where there is one), so it does not share the
// servers' event loop. Loopback only; every server and temp directory is removed at the end.
//   node bench/receiver.mjs            (after npm run build)
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';

const receiverDist = new URL('../packages/receiver/dist/index.js', import.meta.url);
const SITE = { id: 'bench', writeKey: 'pk_bench', readKey: 'sk_bench', origins: [] };

// The load generator: builds the distinct 100-event batches number `first` to `first + requests - 1`
// (deterministic ids, so every scenario is sent the very same bytes), then sends them over `concurrency`
// keep-alive connections.
const LOADGEN = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { url, first, requests, concurrency, perBatch } = workerData;
const now = Date.now();
function batch(b) {
  const events = [];
  for (let i = 0; i < perBatch; i++) {
    const n = b * perBatch + i;
    events.push({
      event_id: '00000000-0000-4000-8000-' + n.toString(16).padStart(12, '0'),
      type: i % 10 === 0 ? 'click' : 'pageview',
      ts: now - (perBatch - i),
      site_id: 'bench',
      // One browser sends a batch: one visitor and session per request, as from the SDK.
      visitor_id: 'visitor-' + b,
      session_id: 'session-' + b,
      seq: i + 1,
      url: 'https://shop.example/products/trail-shoes-' + (n % 50) + '?utm_source=newsletter&utm_medium=email',
      path: '/products/trail-shoes-' + (n % 50),
      title: 'Trail shoes ' + (n % 50),
      referrer: 'https://www.google.com/',
      utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'autumn-sale',
      language: 'en-GB', timezone: 'Europe/London',
      screen_w: 1920, screen_h: 1080, viewport_w: 1280, viewport_h: 720, dpr: 2,
      props: { section: 'catalogue', position: i },
    });
  }
  return JSON.stringify({ v: 1, sdk: 'trailmark/0.1.0', sent_at: now, events });
}
const bodies = Array.from({ length: requests }, (_, b) => Buffer.from(batch(first + b)));
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
function send(body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: 'POST', agent,
      headers: { 'content-type': 'text/plain', 'content-length': body.length } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
}
(async () => {
  let next = 0, ok = 0, failed = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < requests) {
      const body = bodies[next++];
      const status = await send(body);
      if (status === 200) ok++; else failed++;
    }
  }));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  agent.destroy();
  parentPort.postMessage({ ok, failed, ms, bytes: bodies[0].length });
})().catch((error) => parentPort.postMessage({ error: String(error) }));
`;

function load(url, options) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(LOADGEN, { eval: true, workerData: { url, ...options } });
    worker.once('message', (result) => (result.error ? reject(new Error(result.error)) : resolve(result)));
    worker.once('error', reject);
  });
}

function listen(handler) {
  const server = createServer(handler);
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}/v1/batch?key=pk_bench`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** Ceiling 1: read the request, answer, keep nothing. */
async function discardServer() {
  return listen(async (request, response) => {
    await readBody(request);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"ok":true}');
  });
}

/** Ceiling 2: JSON.parse and one durable transaction per request, same schema and pragmas as the receiver. */
async function storageServer(dir, { applyPragmas, migrate }) {
  const db = new Database(join(dir, 'ceiling.db'));
  applyPragmas(db);
  migrate(db);
  const insert = db.prepare(
    `INSERT INTO events (event_id, site_id, type, session_id, ts, received_at, source, data)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(event_id) DO NOTHING`,
  );
  const store = db.transaction((events, receivedAt) => {
    for (const e of events) insert.run(e.event_id, e.site_id, e.type, e.session_id, e.ts, receivedAt, 'batch', JSON.stringify(e));
  });
  const server = await listen(async (request, response) => {
    const { events } = JSON.parse((await readBody(request)).toString('utf8'));
    store(events, Date.now());
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"ok":true}');
  });
  return {
    ...server,
    close: async () => {
      await server.close();
      db.close();
    },
  };
}

/**
 * Runs the scenarios and returns their figures (events/s) and the ratio receiver / storage ceiling.
 * The scenarios take turns over `rounds` rounds of `requests` distinct 100-event requests each, so a busy
 * machine slows them alike; each figure is the median of its rounds.
 */
export async function benchReceiver({ concurrency = 4, requests = 250, rounds = 3, perBatch = 100, print = false } = {}) {
  const receiverModule = await import(receiverDist.href).catch(() => {
    throw new Error('packages/receiver/dist is missing: run `npm run build` first');
  });
  const dir = mkdtempSync(join(tmpdir(), 'tm-bench-'));
  const startReceiver = async (groupCommit) => {
    const running = await receiverModule.startReceiver({
      port: 0,
      dataDir: join(dir, `receiver-${groupCommit}`),
      sites: [SITE],
      groupCommit,
      rateLimit: { perSecond: 0, burst: 1 },
      retention: { intervalMs: 0 },
    });
    return {
      url: `${running.url}/v1/batch?key=pk_bench`,
      stored: () => running.receiver.store.countEvents('bench', 0, Number.MAX_SAFE_INTEGER),
      close: () => running.close(),
    };
  };
  const scenarios = [
    { key: 'discard', name: 'bare http, discard', server: await discardServer() },
    { key: 'storage', name: 'JSON.parse + 1 SQLite tx per request (ceiling)', server: await storageServer(dir, receiverModule) },
    { key: 'single', name: 'receiver, one transaction per request', server: await startReceiver(false) },
    { key: 'group', name: 'receiver, group commit (default)', server: await startReceiver(true) },
  ];
  try {
    const samples = new Map(scenarios.map((scenario) => [scenario.key, []]));
    let requestBytes = 0;
    for (let round = 0; round < rounds; round++) {
      for (const scenario of scenarios) {
        const figures = await load(scenario.server.url, { first: round * requests, requests, concurrency, perBatch });
        if (figures.failed > 0) throw new Error(`${scenario.name}: ${figures.failed} requests failed`);
        requestBytes = figures.bytes;
        samples.get(scenario.key).push((figures.ok * perBatch * 1000) / figures.ms);
      }
    }
    for (const scenario of scenarios.filter((s) => s.server.stored)) {
      const stored = scenario.server.stored();
      if (stored !== rounds * requests * perBatch)
        throw new Error(`${scenario.name}: stored ${stored} of ${rounds * requests * perBatch} events`);
    }
    const median = (key) => {
      const sorted = [...samples.get(key)].sort((a, b) => a - b);
      return Math.round(sorted[Math.floor(sorted.length / 2)]);
    };
    const figures = {
      requestBytes,
      perBatch,
      concurrency,
      rounds,
      requestsPerRound: requests,
      discard: median('discard'),
      storageCeiling: median('storage'),
      receiver: median('group'),
      receiverOneTxPerRequest: median('single'),
      target: 0.8,
      rows: scenarios.map((scenario) => ({
        name: scenario.name,
        eventsPerSecond: median(scenario.key),
        rounds: samples.get(scenario.key).map(Math.round),
      })),
    };
    figures.ratio = Number((figures.receiver / figures.storageCeiling).toFixed(2));
    figures.ratioOneTxPerRequest = Number((figures.receiverOneTxPerRequest / figures.storageCeiling).toFixed(2));
    if (print) printTable(figures);
    return figures;
  } finally {
    for (const scenario of scenarios) await scenario.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function printTable(figures) {
  const kb = (figures.requestBytes / 1024).toFixed(1);
  console.log(
    `Receiver ingest: ${figures.perBatch}-event requests (${kb} KiB), concurrency ${figures.concurrency}, loopback, ` +
      `median of ${figures.rounds} rounds of ${figures.requestsPerRound} requests`,
  );
  console.log(`${'scenario'.padEnd(50)}${'events/s'.padStart(10)}   rounds`);
  for (const row of figures.rows) {
    const rounds = row.rounds.map((n) => n.toLocaleString('en-US')).join(' / ');
    console.log(`${row.name.padEnd(50)}${row.eventsPerSecond.toLocaleString('en-US').padStart(10)}   ${rounds}`);
  }
  const verdict = figures.ratio >= figures.target ? 'meets' : 'BELOW';
  console.log(`receiver / storage ceiling = ${figures.ratio} (${verdict} the ${figures.target} target)`);
  console.log(`  with one transaction per request, as the ceiling does: ${figures.ratioOneTxPerRequest}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  benchReceiver({ print: true }).catch((error) => {
    console.error(`bench: ${error.message}`);
    process.exit(1);
  });
}
