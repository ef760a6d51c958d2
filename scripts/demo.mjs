// `npm start`: the reference receiver on 127.0.0.1:8787 (persistent, .data/demo) and the example static site
// on 127.0.0.1:8080, with the built script tag. Ctrl+C stops both.
//   node scripts/demo.mjs [--site-only | --receiver-only] [--memory] [--reset] [--backend reference|postgres|d1|clickhouse]
//   env PORT_SITE (8080), PORT_RECEIVER (8787), PORT_POSTGRES (8790), PORT_D1 (8788), PORT_CLICKHOUSE (8791),
//   DATABASE_URL (postgres), CLICKHOUSE_URL (clickhouse),
//   TM_DEMO_DATA (the folder holding the data folders, default .data; tests give their own)
// --backend postgres sends the site to the Postgres ingest server (DATABASE_URL, else embedded PGlite in
// .data/demo-pg); --backend d1 to the D1 Worker under Miniflare (local D1 in .data/demo-d1); --backend clickhouse
// to the ClickHouse backend: a JetStream node of its own (nats-server), an ingest node, a loader and embedded chDB
// (CLICKHOUSE_URL for a server), data in .data/demo-ch; chDB is installed beside the workspace on first use. The reference
// receiver (and its live page) runs only for the reference backend: with another one it would receive nothing, and
// its page would show an earlier run's data as if it were this one's. --reset deletes the chosen backend's data
// folder before starting.
// Playwright's webServer can run the two halves separately with --site-only / --receiver-only --memory.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dashboardFiles, startStaticServer } from './serve-static.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const backendAt = argv.indexOf('--backend');
const backend = backendAt === -1 ? 'reference' : argv.splice(backendAt, 2)[1];
if (!['reference', 'postgres', 'd1', 'clickhouse'].includes(backend)) {
  console.error(`demo: --backend takes reference, postgres, d1 or clickhouse (got ${backend ?? 'nothing'})`);
  process.exit(2);
}
const args = new Set(argv);
const known = new Set(['--site-only', '--receiver-only', '--memory', '--reset']);
for (const arg of args) {
  if (!known.has(arg)) {
    console.error(`demo: unknown argument ${arg} (known: ${[...known].join(', ')})`);
    process.exit(2);
  }
}
const sitePort = port('PORT_SITE', 8080);
const receiverPort = port('PORT_RECEIVER', 8787);
const receiverUrl = `http://127.0.0.1:${receiverPort}`;
const siteUrl = `http://127.0.0.1:${sitePort}`;

/** The demo's site: the keys in the example pages, and the two spellings of the site's origin. */
export const DEMO_SITE = {
  id: 'demo',
  writeKey: 'pk_demo',
  readKey: 'sk_demo',
  origins: [siteUrl, `http://localhost:${sitePort}`],
};

/** The folder each backend keeps the demo's data in (the receiver's unless `--memory`). */
const dataRoot = process.env.TM_DEMO_DATA || '.data';
const DATA = {
  reference: `${dataRoot}/demo`,
  postgres: `${dataRoot}/demo-pg`,
  d1: `${dataRoot}/demo-d1`,
  clickhouse: `${dataRoot}/demo-ch`,
};
/** Where a data folder is on disk: relative to the repository unless TM_DEMO_DATA is absolute. */
const onDisk = (folder) => (folder.startsWith('/') ? folder : `${repo}${folder}`);
const withReceiver = args.has('--receiver-only') || (backend === 'reference' && !args.has('--site-only'));
if (args.has('--reset')) {
  const folder = withReceiver && backend !== 'reference' ? DATA.reference : DATA[backend];
  rmSync(onDisk(folder), { recursive: true, force: true });
  console.log(`reset      ${folder} deleted`);
}

const running = [];
let stopping = false;
try {
  if (withReceiver) {
    const entry = `${repo}packages/receiver/dist/index.js`;
    if (!existsSync(entry)) throw new Error('packages/receiver/dist is missing: run `npm run build` first');
    const { startReceiver } = await import(entry);
    const memory = args.has('--memory');
    const receiver = await startReceiver({
      port: receiverPort,
      sites: [DEMO_SITE],
      dev: true,
      ...(memory ? { memory: true } : { dataDir: onDisk(DATA.reference) }),
    });
    running.push(receiver);
    console.log(
      `receiver   ${receiver.url}  (${memory ? 'in memory' : `data in ${DATA.reference}`}; site demo, write key pk_demo, read key sk_demo)`,
    );
    console.log(`live page  ${receiver.url}/`);
    console.log(`inspect    ${receiver.url}/_trailmark/events  ·  /_trailmark/rejections  ·  /_trailmark/stats`);
  }
  let endpoint = receiverUrl;
  if (backend === 'postgres' && !args.has('--receiver-only')) {
    const entry = `${repo}packages/pg-ingest/dist/index.js`;
    if (!existsSync(entry)) throw new Error('packages/pg-ingest/dist is missing: run `npm run build` first');
    const { startIngest } = await import(entry);
    const databaseUrl = process.env.DATABASE_URL;
    const ingest = await startIngest({
      port: port('PORT_POSTGRES', 8790),
      sites: [DEMO_SITE],
      ...(databaseUrl ? { databaseUrl } : { dataDir: onDisk(DATA.postgres) }),
    });
    running.push(ingest);
    endpoint = ingest.url;
    console.log(
      `postgres   ${ingest.url}  (${databaseUrl ? 'DATABASE_URL' : `embedded PGlite in ${DATA.postgres}`}; site demo, write key pk_demo)`,
    );
    console.log(
      `data       curl -H 'Authorization: Bearer sk_demo' ${ingest.url}/v1/metrics/daily   (also /v1/pages/top, /v1/sources, /v1/campaigns)`,
    );
  }
  if (backend === 'd1' && !args.has('--receiver-only')) {
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
    await seedSite(db, { site: DEMO_SITE.id, writeKey: DEMO_SITE.writeKey, secretKey: DEMO_SITE.readKey, website: siteUrl });
    running.push({ close: () => mf.dispose() });
    endpoint = url.origin;
    console.log(`d1 worker  ${url.origin}/  (Miniflare, local D1 in ${DATA.d1}; site demo, write key pk_demo; GET / lists the routes)`);
    console.log(
      `data       curl -H 'Authorization: Bearer sk_demo' ${url.origin}/api/visitors   (also /api/events, /api/stats, /api/live)`,
    );
    console.log('           locally every visitor is enriched from a sample: "Example Networks (sample)", "Wellington (sample), NZ"');
  }
  if (backend === 'clickhouse' && !args.has('--receiver-only')) {
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
  if (!args.has('--receiver-only')) {
    const dist = `${repo}packages/sdk/dist/`;
    const site = await startStaticServer({
      root: `${repo}examples/static-site`,
      port: sitePort,
      endpoint,
      // The ClickHouse backend speaks the same /v1/batch as the Postgres one: the SDK needs no adapter of its own.
      transport: backend === 'clickhouse' ? 'postgres' : backend,
      files: { '/trailmark.min.js': `${dist}trailmark.min.js`, '/trailmark.js': `${dist}trailmark.js`, ...dashboardFiles(repo) },
    });
    running.push(site);
    if (!existsSync(`${dist}trailmark.min.js`)) console.warn('warning: packages/sdk/dist/trailmark.min.js is missing: run `npm run build`');
    console.log(`site       ${site.url}/`);
    console.log(`dashboard  ${site.url}/dashboard/  (reads ${endpoint}; enter the read key sk_demo)`);
  }
  const kept =
    args.has('--memory') && backend === 'reference'
      ? ''
      : ` Data stays in ${withReceiver ? DATA.reference : DATA[backend]}; --reset starts afresh.`;
  console.log(`Press Ctrl+C to stop.${kept}`);
} catch (error) {
  console.error(`demo: ${error.message}`);
  await stopAll();
  process.exit(1);
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping`);
    stopAll().then(() => {
      console.log('stopped');
      process.exit(0);
    });
  });
}

async function stopAll() {
  for (const server of running.reverse()) await server.close().catch((error) => console.error(`demo: close failed: ${error.message}`));
}

function port(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  // A fixed port: the site's origin and the pages' receiver endpoint are derived from these before either starts.
  if (!/^\d+$/.test(raw) || value < 1 || value > 65535) {
    console.error(`demo: ${name} must be a port number, not ${raw}`);
    process.exit(2);
  }
  return value;
}
