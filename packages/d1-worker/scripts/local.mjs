// Starts the Worker bundle under Miniflare with its D1 and Durable Object, applies the migrations and
// seeds keys. Shared by the dev server, the tests and the benchmark, so all three run the same setup.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { startFront } from './front.mjs';
import { applyMigrations } from './migrations.mjs';

/** The package folder. */
export const PACKAGE_DIR = fileURLToPath(new URL('../', import.meta.url));
/** The bundle the root rollup config writes. */
export const WORKER_BUNDLE = `${PACKAGE_DIR}dist/worker.js`;
/** The compatibility date of wrangler.toml. */
export const COMPATIBILITY_DATE = '2026-04-01';

/**
 * The `database_id` of wrangler.toml's D1 binding. Miniflare names a persisted database after the id it is given, and
 * `wrangler d1 execute --local` looks for the one named after this id under `<persist>/v3/d1`: the dev server uses the
 * same id and layout, so wrangler inspects the database the dev server keeps (docs/backends/d1-worker.md).
 */
export function wranglerDatabaseId() {
  const toml = readFileSync(`${PACKAGE_DIR}wrangler.toml`, 'utf8');
  const id = /^\s*database_id\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  if (!id) throw new Error('wrangler.toml has no database_id');
  return id;
}

/** The newest modification time under a folder (0 when it is missing). */
function newestIn(folder) {
  if (!existsSync(folder)) return 0;
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(`${entry.parentPath}/${entry.name}`).mtimeMs);
  }
  return newest;
}

/**
 * True when dist/worker.js is older than what it is built from: the Worker's and the protocol's sources,
 * or the lockfile (a dependency swap, e.g. ua-parser-js 2 → 1, must not leave tests running the old one).
 */
function bundleIsStale(root, bundle = WORKER_BUNDLE, inputs = [`${PACKAGE_DIR}src`, `${root}packages/protocol/src`]) {
  if (!existsSync(bundle)) return true;
  const built = statSync(bundle).mtimeMs;
  const lockfile = `${root}package-lock.json`;
  const newest = Math.max(...inputs.map(newestIn), existsSync(lockfile) ? statSync(lockfile).mtimeMs : 0);
  return newest > built;
}

/**
 * Runs `build` holding a lock directory beside the bundle, so the test files vitest starts in parallel build it
 * once instead of seven times at once on two cores. A lock older than two minutes is a dead builder's: taken over.
 */
async function withBuildLock(build) {
  const lock = `${WORKER_BUNDLE}.lock`;
  mkdirSync(`${PACKAGE_DIR}dist`, { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 120_000)
        rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    return await build();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Builds dist/worker.js with the root rollup config when it is missing, stale, or `force`, one builder at a
 * time; the bundle is written to a temporary file and renamed into place, so no one ever loads a half-written one.
 */
export async function ensureBundle({ force = false } = {}) {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  // The local front (`startWorker`) runs the Node servers' shared plumbing from its build, with the protocol's.
  const front = ['protocol', 'node-http'].map((name) => ({
    name,
    bundle: `${root}packages/${name}/dist/index.js`,
    inputs: [`${root}packages/${name}/src`, `${root}packages/protocol/src`],
  }));
  const stale = () => [
    ...front.filter((pkg) => bundleIsStale(root, pkg.bundle, pkg.inputs)).map((pkg) => pkg.name),
    ...(force || bundleIsStale(root) ? ['d1-worker'] : []),
  ];
  if (stale().length === 0) return WORKER_BUNDLE;
  return withBuildLock(async () => {
    // Another process may have built them while this one waited for the lock.
    for (const name of stale()) await build(root, name);
    return WORKER_BUNDLE;
  });
}

async function build(root, only) {
  const cwd = process.cwd();
  const previous = process.env.TM_ONLY;
  process.chdir(root);
  process.env.TM_ONLY = only;
  try {
    const { rollup } = await import('rollup');
    const { default: configs } = await import(`${root}rollup.config.mjs?${only}=${Date.now()}`);
    for (const config of configs) {
      const bundle = await rollup({ ...config, onwarn: () => undefined });
      if (!config.output.file) {
        // A library (ESM files and declarations in dist/): written in place.
        await bundle.write(config.output);
        await bundle.close();
        continue;
      }
      const temporary = `${config.output.file}.${process.pid}.${Date.now()}.tmp`;
      await bundle.write({ ...config.output, file: temporary });
      await bundle.close();
      renameSync(temporary, config.output.file);
    }
  } finally {
    process.chdir(cwd);
    if (previous === undefined) delete process.env.TM_ONLY;
    else process.env.TM_ONLY = previous;
  }
  return WORKER_BUNDLE;
}

/**
 * The `cf` object every local request carries: a sample, as no local request has a real one (Cloudflare fills it
 * at its edge from the visitor's IP address). Whatever the Worker derives from it locally (a visitor's company and
 * location) is this sample, not the visitor's, and says so: "Example Networks (sample)", "Wellington (sample), NZ".
 */
export const SAMPLE_CF = {
  country: 'NZ',
  city: 'Wellington (sample)',
  timezone: 'Pacific/Auckland',
  asOrganization: 'Example Networks (sample)',
};

/**
 * A Miniflare running the Worker, behind a local front: a Node HTTP server (`startHttpServer` of
 * `@trailmark/node-http`, the one the other two backends run on) that parses each request, reads its body (up to
 * `MAX_DRAIN_BYTES`) and forwards it to workerd's socket. Locally, workerd's own HTTP layer answered malformed
 * requests (a `Content-Length` of `abc`, `-1` or 20 digits, an absolute-URI target, a garbage Host, an unknown or
 * lower-case method, a GET with `Content-Length: 0`) with a 500 or 501 or a hang, and reset a kept-alive connection
 * whose body the Worker had not read: none of that reaches a deployed Worker, whose requests Cloudflare's edge
 * parses (docs/d1-worker.md, "Running locally"); what else the front holds to is in `scripts/front.mjs`. `url` is
 * the front; `workerdUrl` the socket itself. `cf` is a fixed
 * object (never fetched from the network); `persist` is a folder for D1 and Durable Object data, or undefined for
 * memory only. `mf.dispose()` stops the front too.
 * `output` receives what the Worker's runtime prints (its `console` calls, workerd's own messages) instead of this
 * process's stdout/stderr: tests that provoke an error collect it there.
 */
export async function startWorker({
  port = 0,
  persist,
  cf = SAMPLE_CF,
  vars = {},
  migrate = true,
  scriptPath = WORKER_BUNDLE,
  output,
} = {}) {
  const mf = new Miniflare({
    ...(output
      ? {
          handleRuntimeStdio(stdout, stderr) {
            stdout.on('data', (chunk) => output(String(chunk), 'stdout'));
            stderr.on('data', (chunk) => output(String(chunk), 'stderr'));
          },
        }
      : {}),
    modules: true,
    scriptPath,
    compatibilityDate: COMPATIBILITY_DATE,
    host: '127.0.0.1',
    port: 0,
    cf,
    d1Databases: { DB: wranglerDatabaseId() },
    durableObjects: { LIVE: { className: 'LiveVisitors', useSQLite: true } },
    bindings: { ALLOW_UNREGISTERED_KEYS: 'false', LIVE_TIMEOUT_SECONDS: '120', KEY_CACHE_SECONDS: '60', ...vars },
    // wrangler's own local layout (`.wrangler/state/v3/…`), so `--persist-to <persist>` finds the same files.
    ...(persist ? { d1Persist: `${persist}/v3/d1`, durableObjectsPersist: `${persist}/v3/do` } : {}),
  });
  const workerdUrl = await mf.ready;
  const db = await mf.getD1Database('DB');
  if (migrate) await applyMigrations(db);
  const log = output ? (line) => output(`${line}\n`, 'stderr') : undefined;
  const front = await startFront(workerdUrl, { port, ...(log ? { log } : {}) }).catch(async (error) => {
    await mf.dispose();
    throw error;
  });
  const dispose = mf.dispose.bind(mf);
  mf.dispose = async () => {
    front.server.closeAllConnections();
    await new Promise((resolve) => front.server.close(resolve));
    await dispose();
  };
  return { mf, db, url: new URL(`${front.url}/`), workerdUrl };
}

/** Registers a site's keys (idempotent): a public write key and a secret read key. */
export async function seedSite(db, { site, writeKey, secretKey, website, owner = 'dev' }) {
  const insert = db.prepare(
    'INSERT INTO api_keys (api_key, kind, site_id, website, owner) VALUES (?, ?, ?, ?, ?) ON CONFLICT (api_key) DO NOTHING',
  );
  await db.batch([insert.bind(writeKey, 'write', site, website, owner), insert.bind(secretKey, 'secret', site, website, owner)]);
}
