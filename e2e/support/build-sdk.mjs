// Bundles the SDK's source as one browser ES module (e2e/.build/sdk.js) for pages that drive the API directly.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { rollup } from 'rollup';
import { defines, terserOptions } from '../../rollup.config.mjs';
import { transpileTs } from '../../scripts/ts-transpile.mjs';
import { fresh } from './stale.mjs';

const root = resolve(import.meta.dirname, '../..');
/** What the last build was (`debug` or `release`): `npm run bench` builds the release kind into the same files. */
const stamp = resolve(root, 'e2e/.build/sdk.stamp');
/** What the bundles are made from: the sources, their build setup, and the lockfile for the dependencies bundled. */
const inputs = [
  'packages/sdk/src',
  'packages/sdk/package.json',
  'packages/sdk/tsconfig.json',
  'packages/protocol/src',
  'rollup.config.mjs',
  'scripts/ts-transpile.mjs',
  'e2e/support/build-sdk.mjs',
  'package-lock.json',
].map((path) => resolve(root, path));

/** `release: true` builds as the published .min.js is built: debug text stripped, minified. */
export async function buildSdk({ release = false } = {}) {
  // One transpiler for both bundles: the modules they share are transpiled once (types are npm run typecheck's job).
  const transpiler = transpileTs(resolve(root, 'packages/sdk/tsconfig.json'));
  await build('index', 'sdk', release, transpiler);
  // `trailmark/vitals-attribution` is an entry of its own in the package; so it is here.
  await build('vitals-attribution', 'vitals-attribution', release, transpiler);
  writeFileSync(stamp, release ? 'release' : 'debug');
}

/** The debug build of `buildSdk()`, unless one newer than every input is there. Resolves to whether it built. */
export async function buildSdkIfStale() {
  if (fresh(stamp, 'debug', inputs)) return false;
  await buildSdk();
  return true;
}

async function build(entry, name, release, transpiler) {
  const bundle = await rollup({
    input: resolve(root, `packages/sdk/src/${entry}.ts`),
    plugins: [defines(!release), nodeResolve({ browser: true }), transpiler],
  });
  await bundle.write({
    file: resolve(root, `e2e/.build/${name}.js`),
    format: 'es',
    plugins: release ? [terser({ ...terserOptions, module: true })] : [],
  });
  await bundle.close();
}

if (import.meta.url === `file://${process.argv[1]}`) await buildSdk();
