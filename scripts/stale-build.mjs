// Which of the build's packages are out of date: a package is stale when one of its outputs is missing or older than
// the newest file it is built from (its sources, the sources it bundles, the build's configuration). `npm start`
// rebuilds only those (`TM_ONLY=a,b rollup -c`), so a start with nothing changed builds nothing.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');

/** What configures every package's build: a change to one of these makes every package stale. */
const SHARED = ['rollup.config.mjs', 'tsconfig.base.json', 'package-lock.json'];

/**
 * The build's packages (the `TM_ONLY` names of rollup.config.mjs), each with what it is built from and what it writes.
 * Packages that bundle the protocol's source (SDK, Worker, dashboard) list it as an input; the Node servers import
 * the protocol's own dist at run time instead.
 */
export const PACKAGES = {
  protocol: { inputs: ['packages/protocol/src', 'packages/protocol/tsconfig.json'], outputs: ['packages/protocol/dist/index.js'] },
  sdk: {
    inputs: [
      'packages/sdk/src',
      'packages/sdk/tsconfig.json',
      'packages/sdk/tsconfig.package.json',
      'packages/sdk/package.json',
      'packages/protocol/src',
    ],
    outputs: [
      'packages/sdk/dist/index.js',
      'packages/sdk/dist/index.d.ts',
      'packages/sdk/dist/trailmark.js',
      'packages/sdk/dist/trailmark.min.js',
      'packages/sdk/dist/trailmark-later.min.js',
    ],
  },
  'node-http': { inputs: ['packages/node-http/src', 'packages/node-http/tsconfig.json'], outputs: ['packages/node-http/dist/index.js'] },
  react: { inputs: ['packages/react/src', 'packages/react/tsconfig.json'], outputs: ['packages/react/dist/index.js'] },
  'react-router': {
    inputs: [
      'examples/react-router/src',
      'examples/react-router/rollup.config.mjs',
      'packages/react/src',
      'packages/sdk/src',
      'packages/protocol/src',
    ],
    outputs: ['examples/react-router/dist/app.js'],
  },
  receiver: { inputs: ['packages/receiver/src', 'packages/receiver/tsconfig.json'], outputs: ['packages/receiver/dist/index.js'] },
  'pg-ingest': { inputs: ['packages/pg-ingest/src', 'packages/pg-ingest/tsconfig.json'], outputs: ['packages/pg-ingest/dist/index.js'] },
  clickhouse: {
    inputs: ['packages/clickhouse/src', 'packages/clickhouse/tsconfig.json'],
    outputs: ['packages/clickhouse/dist/index.js'],
  },
  'd1-worker': {
    inputs: ['packages/d1-worker/src', 'packages/d1-worker/tsconfig.json', 'packages/protocol/src'],
    outputs: ['packages/d1-worker/dist/worker.js'],
  },
  dashboard: {
    inputs: ['packages/dashboard/src', 'packages/dashboard/tsconfig.json', 'packages/protocol/src'],
    outputs: ['packages/dashboard/dist/dashboard.js'],
  },
};

/** The newest modification time (ms) of a file or of any file under a folder; 0 when there is none. */
export function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

/** The packages whose outputs are missing or older than their inputs, under `root` (the repository by default). */
export function stalePackages(root = repo, packages = PACKAGES) {
  const shared = Math.max(...SHARED.map((file) => newest(join(root, file))));
  const stale = [];
  for (const [name, { inputs, outputs }] of Object.entries(packages)) {
    // A package whose sources are not in this checkout is not built by rollup.config.mjs either.
    if (!existsSync(join(root, inputs[0]))) continue;
    const built = Math.min(...outputs.map((file) => (existsSync(join(root, file)) ? statSync(join(root, file)).mtimeMs : 0)));
    const source = Math.max(shared, ...inputs.map((input) => newest(join(root, input))));
    if (built === 0 || built < source) stale.push(name);
  }
  return stale;
}

/**
 * Builds the stale packages (all of them with one rollup run, in the config's order) and returns their names; an
 * empty list when everything is up to date. Throws when the build fails.
 */
export function buildStale({ log = console.log } = {}) {
  const stale = stalePackages();
  if (stale.length === 0) return stale;
  log(`build      ${stale.join(', ')} (changed since the last build)`);
  const rollup = join(repo, 'node_modules/rollup/dist/bin/rollup');
  const run = spawnSync(process.execPath, [rollup, '-c', '--silent'], {
    cwd: repo,
    env: { ...process.env, TM_ONLY: stale.join(',') },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (run.status !== 0) throw new Error(`the build of ${stale.join(', ')} failed (exit ${run.status})`);
  return stale;
}
