// Starts the Worker bundle under Miniflare with its D1 and Durable Object, applies the migrations and
// seeds keys. Shared by the dev server, the tests and the benchmark, so all three run the same setup.
import { existsSync, readdirSync, renameSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { applyMigrations } from './migrations.mjs';

/** The package folder. */
export const PACKAGE_DIR = fileURLToPath(new URL('../', import.meta.url));
/** The bundle the root rollup config writes. */
export const WORKER_BUNDLE = `${PACKAGE_DIR}dist/worker.js`;
/** The compatibility date of wrangler.toml. */
export const COMPATIBILITY_DATE = '2026-04-01';

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
function bundleIsStale(root) {
  const built = statSync(WORKER_BUNDLE).mtimeMs;
  const inputs = [`${PACKAGE_DIR}src`, `${root}packages/protocol/src`];
  const lockfile = `${root}package-lock.json`;
  const newest = Math.max(...inputs.map(newestIn), existsSync(lockfile) ? statSync(lockfile).mtimeMs : 0);
  return newest > built;
}

/**
 * Builds dist/worker.js with the root rollup config when it is missing, stale, or `force`. Test files run
 * in parallel and may all find it missing: each writes its own temporary file and renames it into place,
 * so no one ever loads a half-written bundle.
 */
export async function ensureBundle({ force = false } = {}) {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  if (!force && existsSync(WORKER_BUNDLE) && !bundleIsStale(root)) return WORKER_BUNDLE;
  const cwd = process.cwd();
  const previous = process.env.TM_ONLY;
  process.chdir(root);
  process.env.TM_ONLY = 'd1-worker';
  try {
    const { rollup } = await import('rollup');
    const { default: configs } = await import(`${root}rollup.config.mjs?d1-worker=${Date.now()}`);
    for (const config of configs) {
      const bundle = await rollup({ ...config, onwarn: () => undefined });
      const temporary = `${WORKER_BUNDLE}.${process.pid}.${Date.now()}.tmp`;
      await bundle.write({ ...config.output, file: temporary });
      await bundle.close();
      renameSync(temporary, WORKER_BUNDLE);
    }
  } finally {
    process.chdir(cwd);
    if (previous === undefined) delete process.env.TM_ONLY;
    else process.env.TM_ONLY = previous;
  }
  return WORKER_BUNDLE;
}

/**
 * A Miniflare running the Worker. `cf` is a fixed object (never fetched from the network);
 * `persist` is a folder for D1 and Durable Object data, or undefined for memory only.
 */
export async function startWorker({
  port = 0,
  persist,
  cf = { country: 'NZ', city: 'Wellington', timezone: 'Pacific/Auckland', asOrganization: 'Example Networks' },
  vars = {},
  migrate = true,
  scriptPath = WORKER_BUNDLE,
} = {}) {
  const mf = new Miniflare({
    modules: true,
    scriptPath,
    compatibilityDate: COMPATIBILITY_DATE,
    host: '127.0.0.1',
    port,
    cf,
    d1Databases: { DB: 'trailmark' },
    durableObjects: { LIVE: { className: 'LiveVisitors', useSQLite: true } },
    bindings: { ALLOW_UNREGISTERED_KEYS: 'false', LIVE_TIMEOUT_SECONDS: '120', KEY_CACHE_SECONDS: '60', ...vars },
    ...(persist ? { d1Persist: `${persist}/d1`, durableObjectsPersist: `${persist}/do` } : {}),
  });
  const url = await mf.ready;
  const db = await mf.getD1Database('DB');
  if (migrate) await applyMigrations(db);
  return { mf, db, url };
}

/** Registers a site's keys (idempotent): a public write key and a secret read key. */
export async function seedSite(db, { site, writeKey, secretKey, website, owner = 'dev' }) {
  const insert = db.prepare(
    'INSERT INTO api_keys (api_key, kind, site_id, website, owner) VALUES (?, ?, ?, ?, ?) ON CONFLICT (api_key) DO NOTHING',
  );
  await db.batch([insert.bind(writeKey, 'write', site, website, owner), insert.bind(secretKey, 'secret', site, website, owner)]);
}
