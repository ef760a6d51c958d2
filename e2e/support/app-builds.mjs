// The production builds the framework specs drive (e2e/next.spec.ts: examples/next; e2e/frameworks.spec.ts: the Vue
// and SvelteKit recipe apps), each skipped when a build for the same endpoint newer than every input is there, and the
// SDK bundle the core pages import (e2e/support/build-sdk.mjs; Playwright's global setup builds it when stale).
// `npm test` runs them as a step of their own beside the unit tests (`npm run build:apps`), so the browser tests find
// them fresh; a spec run alone builds what is stale itself.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { unpackSdk } from '../../scripts/pack-sdk.mjs';
import { buildSdkIfStale } from './build-sdk.mjs';
import { fresh } from './stale.mjs';

const repo = resolve(import.meta.dirname, '../..');
const offset = Number(process.env.E2E_PORT_OFFSET ?? 0);

/**
 * Where the apps send their events: a port per spec file, the same whichever Playwright worker runs it (a build
 * cannot know that worker), below every worker's own ports (e2e/support/ports.ts); the spec forwards it to its
 * worker's receiver (e2e/support/app-server.ts).
 */
export const APP_ENDPOINTS = {
  next: `http://127.0.0.1:${18770 + offset}`,
  frameworks: `http://127.0.0.1:${18771 + offset}`,
};

const nextDir = join(repo, 'examples/next');
/** The packed `trailmark` the recipe apps resolve before the workspace's. */
const unpacked = join(repo, 'e2e/frameworks/node_modules/trailmark');
const viteApps = {
  vue: { dir: join(repo, 'e2e/frameworks/vue'), stamp: join(repo, 'e2e/.build/vue/.trailmark-endpoint') },
  svelte: { dir: join(repo, 'e2e/frameworks/sveltekit'), stamp: join(repo, 'e2e/.build/sveltekit/.trailmark-endpoint') },
};

/** Runs a command to completion, failing with its output. */
function run(args, cwd, env) {
  try {
    execFileSync(process.execPath, args, {
      cwd,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...env },
      stdio: 'pipe',
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    throw new Error(`${args.join(' ')} failed in ${cwd}:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
  }
}

/** `next build` of examples/next, sending to APP_ENDPOINTS.next, unless fresh. Resolves to whether it built. */
export async function buildNext() {
  const stamp = join(nextDir, '.next/trailmark-endpoint');
  const inputs = ['app', 'pages', 'next.config.ts', '../../packages/react/dist', '../../packages/sdk/dist'].map((path) =>
    join(nextDir, path),
  );
  if (fresh(stamp, APP_ENDPOINTS.next, inputs)) return false;
  run([join(repo, 'node_modules/next/dist/bin/next'), 'build'], nextDir, { NEXT_PUBLIC_TRAILMARK_ENDPOINT: APP_ENDPOINTS.next });
  writeFileSync(stamp, APP_ENDPOINTS.next);
  return true;
}

/**
 * `vite build` of the Vue and SvelteKit recipe apps against the packed `trailmark` (unpacked first), sending to
 * APP_ENDPOINTS.frameworks, unless both are fresh. Resolves to whether it built.
 */
export async function buildFrameworkApps() {
  const sdk = ['dist', 'package.json'].map((path) => join(repo, 'packages/sdk', path));
  const inputs = (dir) => [...sdk, join(dir, 'src'), join(dir, 'index.html'), join(dir, 'vite.config.ts')];
  const stale = Object.values(viteApps).filter((app) => !fresh(app.stamp, APP_ENDPOINTS.frameworks, inputs(app.dir)));
  if (!stale.length) return false;
  unpackSdk(unpacked);
  for (const app of stale) {
    run([join(repo, 'node_modules/vite/bin/vite.js'), 'build'], app.dir, { VITE_TRAILMARK_ENDPOINT: APP_ENDPOINTS.frameworks });
    writeFileSync(app.stamp, APP_ENDPOINTS.frameworks);
  }
  return true;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [name, build] of [
    ['the SDK bundle of the core pages (e2e/.build/sdk.js)', buildSdkIfStale],
    ['examples/next (next build)', buildNext],
    ['the Vue and SvelteKit recipe apps (vite build)', buildFrameworkApps],
  ]) {
    const started = Date.now();
    const built = await build();
    console.log(built ? `${name}: built in ${((Date.now() - started) / 1000).toFixed(0)} s` : `${name}: up to date`);
  }
}
