// `npm start`: the reference receiver on 127.0.0.1:8787 (persistent, .data/demo) and the example static site
// on 127.0.0.1:8080, with the built script tag. Ctrl+C stops both.
//   node scripts/demo.mjs [--site-only | --receiver-only] [--memory] [--backend reference|postgres|d1]
//   env PORT_SITE (8080), PORT_RECEIVER (8787), PORT_POSTGRES (8790), PORT_D1 (8788), DATABASE_URL (postgres)
// --backend postgres sends the site to the Postgres ingest server (DATABASE_URL, else embedded PGlite in
// .data/demo-pg); --backend d1 to the D1 Worker under Miniflare (local D1 in .data/demo-d1). The reference
// receiver and its live page run in every case.
// Playwright's webServer can run the two halves separately with --site-only / --receiver-only --memory.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dashboardFiles, startStaticServer } from './serve-static.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const backendAt = argv.indexOf('--backend');
const backend = backendAt === -1 ? 'reference' : argv.splice(backendAt, 2)[1];
if (!['reference', 'postgres', 'd1'].includes(backend)) {
  console.error(`demo: --backend takes reference, postgres or d1 (got ${backend ?? 'nothing'})`);
  process.exit(2);
}
const args = new Set(argv);
const known = new Set(['--site-only', '--receiver-only', '--memory']);
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

const running = [];
try {
  if (!args.has('--site-only')) {
    const entry = `${repo}packages/receiver/dist/index.js`;
    if (!existsSync(entry)) throw new Error('packages/receiver/dist is missing: run `npm run build` first');
    const { startReceiver } = await import(entry);
    const memory = args.has('--memory');
    const receiver = await startReceiver({
      port: receiverPort,
      sites: [DEMO_SITE],
      dev: true,
      ...(memory ? { memory: true } : { dataDir: `${repo}.data/demo` }),
    });
    running.push(receiver);
    console.log(
      `receiver   ${receiver.url}  (${memory ? 'in memory' : 'data in .data/demo'}; site demo, write key pk_demo, read key sk_demo)`,
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
      ...(databaseUrl ? { databaseUrl } : { dataDir: `${repo}.data/demo-pg` }),
    });
    running.push(ingest);
    endpoint = ingest.url;
    console.log(
      `postgres   ${ingest.url}  (${databaseUrl ? 'DATABASE_URL' : 'embedded PGlite in .data/demo-pg'}; read API: /v1/metrics/daily with Bearer sk_demo)`,
    );
  }
  if (backend === 'd1' && !args.has('--receiver-only')) {
    const { ensureBundle, seedSite, startWorker } = await import(`${repo}packages/d1-worker/scripts/local.mjs`);
    await ensureBundle();
    const { mf, db, url } = await startWorker({ port: port('PORT_D1', 8788), persist: `${repo}.data/demo-d1` });
    await seedSite(db, { site: DEMO_SITE.id, writeKey: DEMO_SITE.writeKey, secretKey: DEMO_SITE.readKey, website: siteUrl });
    running.push({ close: () => mf.dispose() });
    endpoint = url.origin;
    console.log(`d1 worker  ${url.origin}  (Miniflare, local D1 in .data/demo-d1; GET /api/visitors with Bearer sk_demo)`);
  }
  if (!args.has('--receiver-only')) {
    const dist = `${repo}packages/sdk/dist/`;
    const site = await startStaticServer({
      root: `${repo}examples/static-site`,
      port: sitePort,
      endpoint,
      transport: backend,
      files: { '/trailmark.min.js': `${dist}trailmark.min.js`, '/trailmark.js': `${dist}trailmark.js`, ...dashboardFiles(repo) },
    });
    running.push(site);
    if (!existsSync(`${dist}trailmark.min.js`)) console.warn('warning: packages/sdk/dist/trailmark.min.js is missing: run `npm run build`');
    console.log(`site       ${site.url}/`);
    console.log(`dashboard  ${site.url}/dashboard/  (reads ${endpoint}; enter the read key sk_demo)`);
  }
  console.log('Press Ctrl+C to stop.');
} catch (error) {
  console.error(`demo: ${error.message}`);
  await stopAll();
  process.exit(1);
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping`);
    stopAll().then(() => process.exit(0));
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
