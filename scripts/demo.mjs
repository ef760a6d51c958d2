// `npm start`: the example static site on 127.0.0.1:8080, with the built script tag, sending to one backend: the
// reference receiver on 127.0.0.1:8787 (persistent, .data/demo) by default. Ctrl+C stops everything.
// Options and environment: scripts/demo-options.mjs (`npm start -- --help` prints them all).
// --backend postgres sends the site to the Postgres ingest server (DATABASE_URL, in a schema of its own, else
// embedded PGlite in .data/demo-pg); --backend d1 to the D1 Worker under Miniflare (local D1 in .data/demo-d1);
// --backend clickhouse to a JetStream node of its own (nats-server), an ingest node, a loader and embedded chDB
// (CLICKHOUSE_URL for a server), data in .data/demo-ch, chDB installed beside the workspace on first use. The
// reference receiver (and its live page) runs only for the reference backend: with another one it would receive
// nothing, and its page would show an earlier run's data as if it were this one's. --reset deletes the chosen
// backend's data before starting.
// Playwright's webServer can run the two halves separately with --site-only / --receiver-only --memory.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { busyPort, describeDatabase } from './demo-checks.mjs';
import { BACKENDS, parseArgs, portOf, usage } from './demo-options.mjs';
import { dashboardFiles, scriptTagFiles, startStaticServer } from './serve-static.mjs';
import { buildStale } from './stale-build.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const parsed = parseArgs(process.argv.slice(2));
if (parsed.error) {
  console.error(`demo: ${parsed.error}\n\n${usage()}`);
  process.exit(2);
}
const options = parsed.options;
if (options.help) {
  console.log(usage());
  process.exit(0);
}
const { backend } = options;
const port = (name, fallback) => {
  const { port: value, error } = portOf(process.env, name, fallback);
  if (error) {
    // A fixed port: the site's origin and the pages' receiver endpoint are derived from these before either starts.
    console.error(`demo: ${error}`);
    process.exit(2);
  }
  return value;
};
const sitePort = port('PORT_SITE', 8080);
const receiverPort = port('PORT_RECEIVER', 8787);
const receiverUrl = `http://127.0.0.1:${receiverPort}`;
const siteUrl = `http://127.0.0.1:${sitePort}`;

/** The demo's site: the keys in the example pages, and the two spellings of the site's origin. */
export const DEMO_SITE = {
  id: 'demo',
  writeKey: 'pk_demo',
  readKey: 'sk_demo',
  // TM_DEMO_ORIGINS: more origins allowed to send, comma-separated (the e2e tests' framework apps).
  origins: [siteUrl, `http://localhost:${sitePort}`, ...(process.env.TM_DEMO_ORIGINS ?? '').split(',').filter(Boolean)],
};

/** The folder each backend keeps the demo's data in (the receiver's unless `--memory`). */
const dataRoot = process.env.TM_DEMO_DATA || '.data';
const DATA = Object.fromEntries(Object.entries(BACKENDS).map(([name, { data }]) => [name, `${dataRoot}/${data}`]));
/** Where a data folder is on disk: relative to the repository unless TM_DEMO_DATA is absolute. */
const onDisk = (folder) => (folder.startsWith('/') ? folder : `${repo}${folder}`);
const withReceiver = options.receiverOnly || (backend === 'reference' && !options.siteOnly);
const withBackend = backend !== 'reference' && !options.receiverOnly;
const databaseUrl = backend === 'postgres' ? process.env.DATABASE_URL || undefined : undefined;
/** With DATABASE_URL the demo keeps to a schema of its own: --reset drops it, and nothing else of that database. */
const PG_SCHEMA = 'trailmark_demo';

// Every port this run listens on, checked before anything is built or printed: a busy one is named with the
// variable that moves it.
const ports = [
  ...(options.receiverOnly ? [] : [['PORT_SITE', sitePort]]),
  ...(withReceiver ? [['PORT_RECEIVER', receiverPort]] : []),
  ...(withBackend && backend === 'postgres' ? [['PORT_POSTGRES', port('PORT_POSTGRES', 8790)]] : []),
  ...(withBackend && backend === 'd1' ? [['PORT_D1', port('PORT_D1', 8788)]] : []),
  ...(withBackend && backend === 'clickhouse' ? [['PORT_CLICKHOUSE', port('PORT_CLICKHOUSE', 8791)]] : []),
];
for (const [name, value] of ports) {
  const problem = await busyPort(value);
  if (problem) {
    console.error(
      `demo: port ${value} (${name}) ${problem}. Stop what uses it, or move the demo: ${name}=${value + 1} npm start${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    );
    process.exit(1);
  }
}

if (options.build) {
  try {
    buildStale();
  } catch (error) {
    console.error(`demo: ${error.message}`);
    process.exit(1);
  }
}

/** Where this run's data is, in words: a folder, a database and schema, or memory. */
const dataPlace = (name) => {
  if (name === 'reference' && options.memory) return 'in memory';
  if (name === 'postgres' && databaseUrl) return `in PostgreSQL at ${describeDatabase(databaseUrl)}, schema ${PG_SCHEMA}`;
  return `in ${DATA[name]}`;
};
const kept = withReceiver && !options.memory ? 'reference' : withBackend ? backend : undefined;

if (options.reset && kept) {
  if (kept === 'postgres' && databaseUrl) {
    const { manageSchema } = await import(`${repo}packages/pg-ingest/dist/index.js`);
    await manageSchema(databaseUrl, 'drop', PG_SCHEMA).catch((error) => {
      console.error(`demo: --reset could not drop schema ${PG_SCHEMA} in ${describeDatabase(databaseUrl)}: ${error.message}`);
      process.exit(1);
    });
    console.log(`reset      schema ${PG_SCHEMA} dropped in ${describeDatabase(databaseUrl)}`);
  } else {
    rmSync(onDisk(DATA[kept]), { recursive: true, force: true });
    console.log(`reset      ${DATA[kept]} deleted`);
  }
}

const running = [];
let stopping = false;
/** Ctrl+C (or SIGTERM), from the first server started on: everything started so far stops, in reverse order. */
const onSignal = (signal) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping`);
  stopAll().then(() => {
    console.log('stopped');
    process.exit(0);
  });
};
const handleSignals = () => {
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, onSignal);
};
handleSignals();
try {
  if (withReceiver) {
    const entry = `${repo}packages/receiver/dist/index.js`;
    if (!existsSync(entry)) throw new Error('packages/receiver/dist is missing: run `npm run build` first');
    const { startReceiver } = await import(entry);
    const memory = options.memory;
    const receiver = await startReceiver({
      port: receiverPort,
      sites: [DEMO_SITE],
      dev: true,
      ...(memory ? { memory: true } : { dataDir: onDisk(DATA.reference) }),
    });
    running.push(receiver);
    console.log(`receiver   ${receiver.url}  (data ${dataPlace('reference')}; site demo, write key pk_demo, read key sk_demo)`);
    console.log(`live page  ${receiver.url}/`);
    console.log(`inspect    ${receiver.url}/_trailmark/events  ·  /_trailmark/rejections  ·  /_trailmark/stats`);
  }
  let endpoint = receiverUrl;
  if (withBackend && backend === 'postgres') {
    const entry = `${repo}packages/pg-ingest/dist/index.js`;
    if (!existsSync(entry)) throw new Error('packages/pg-ingest/dist is missing: run `npm run build` first');
    const { manageSchema, startIngest } = await import(entry);
    if (databaseUrl) await manageSchema(databaseUrl, 'create', PG_SCHEMA);
    const ingest = await startIngest({
      port: port('PORT_POSTGRES', 8790),
      sites: [DEMO_SITE],
      ...(databaseUrl ? { databaseUrl, schema: PG_SCHEMA } : { dataDir: onDisk(DATA.postgres) }),
    });
    running.push(ingest);
    endpoint = ingest.url;
    console.log(
      `postgres   ${ingest.url}  (${databaseUrl ? 'DATABASE_URL: data' : 'embedded PGlite: data'} ${dataPlace('postgres')}; site demo, write key pk_demo)`,
    );
    console.log(
      `data       curl -H 'Authorization: Bearer sk_demo' ${ingest.url}/v1/metrics/daily   (also /v1/pages/top, /v1/sources, /v1/campaigns)`,
    );
  }
  if (withBackend && backend === 'd1') {
    const { ensureBundle, seedSite, startWorker } = await import(`${repo}packages/d1-worker/scripts/local.mjs`);
    await ensureBundle();
    const { mf, db, url } = await startWorker({
      port: port('PORT_D1', 8788),
      persist: onDisk(DATA.d1),
      // The Worker's console, passed on; silent once stopping, when workerd's shutdown messages are noise.
      output: (text, stream) => stopping || process[stream].write(text),
    });
    // Miniflare exits the process on SIGINT at once (workerd then complains of a broken pipe): the demo's own
    // handler below stops everything in order instead.
    for (const signal of ['SIGINT', 'SIGTERM']) process.removeAllListeners(signal);
    handleSignals();
    await seedSite(db, { site: DEMO_SITE.id, writeKey: DEMO_SITE.writeKey, secretKey: DEMO_SITE.readKey, website: siteUrl });
    running.push({ close: () => mf.dispose() });
    endpoint = url.origin;
    console.log(`d1 worker  ${url.origin}/  (Miniflare, local D1 in ${DATA.d1}; site demo, write key pk_demo; GET / lists the routes)`);
    console.log(
      `data       curl -H 'Authorization: Bearer sk_demo' ${url.origin}/api/visitors   (also /api/events, /api/stats, /api/live)`,
    );
    console.log('           locally every visitor is enriched from a sample: "Example Networks (sample)", "Wellington (sample), NZ"');
  }
  if (backend === 'clickhouse' && !options.receiverOnly) {
    const entry = `${repo}packages/clickhouse/dist/index.js`;
    if (!existsSync(entry)) throw new Error('packages/clickhouse/dist is missing: run `npm run build` first');
    const { chdbAvailable, startClickhouse, startNatsNode } = await import(entry);
    const clickhouseUrl = process.env.CLICKHOUSE_URL;
    if (!clickhouseUrl && !chdbAvailable()) {
      // chDB (~570 MB) is no workspace dependency: installed beside it (.cache/chdb) on the first run that needs it.
      execFileSync(process.execPath, [`${repo}packages/clickhouse/scripts/install-chdb.mjs`], { stdio: 'inherit', cwd: repo });
    }
    mkdirSync(onDisk(`${DATA.clickhouse}/nats`), { recursive: true });
    const nats = await startNatsNode({ storeDir: onDisk(`${DATA.clickhouse}/nats`) });
    running.push(nats);
    const ch = await startClickhouse({
      port: port('PORT_CLICKHOUSE', 8791),
      sites: [DEMO_SITE],
      log: { servers: [nats.url] },
      ...(clickhouseUrl ? { clickhouseUrl } : { dataDir: onDisk(`${DATA.clickhouse}/chdb`) }),
    });
    running.push(ch);
    endpoint = ch.url;
    console.log(`log        nats://${nats.url}  (JetStream, stream TRAILMARK, store in ${DATA.clickhouse}/nats)`);
    console.log(
      `clickhouse ${ch.url}  (ingest node + loader; ${clickhouseUrl ? 'CLICKHOUSE_URL' : `embedded chDB in ${DATA.clickhouse}/chdb`}; site demo, write key pk_demo)`,
    );
    console.log(`data       curl -H 'Authorization: Bearer sk_demo' ${ch.url}/v1/stats/summary   (every panel of /v1/stats)`);
  }
  if (!options.receiverOnly) {
    const dist = `${repo}packages/sdk/dist/`;
    const site = await startStaticServer({
      root: `${repo}examples/static-site`,
      port: sitePort,
      endpoint,
      // The ClickHouse backend speaks the same /v1/batch as the Postgres one: the SDK needs no adapter of its own.
      transport: backend === 'clickhouse' ? 'postgres' : backend,
      files: { ...scriptTagFiles(dist), ...dashboardFiles(repo) },
    });
    running.push(site);
    if (!existsSync(`${dist}trailmark.min.js`)) console.warn('warning: packages/sdk/dist/trailmark.min.js is missing: run `npm run build`');
    console.log(`site       ${site.url}/`);
    console.log(`dashboard  ${site.url}/dashboard/  (reads ${endpoint}; enter the read key sk_demo)`);
  }
  console.log(`Press Ctrl+C to stop.${kept ? ` Data stays ${dataPlace(kept)}; --reset starts afresh.` : ''}`);
} catch (error) {
  console.error(`demo: ${error.message}`);
  await stopAll();
  process.exit(1);
}

async function stopAll() {
  for (const server of running.reverse()) await server.close().catch((error) => console.error(`demo: close failed: ${error.message}`));
}
