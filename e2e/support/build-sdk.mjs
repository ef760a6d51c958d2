// Bundles the SDK's source as one browser ES module (e2e/.build/sdk.js) for pages that drive the API directly.
import { resolve } from 'node:path';
import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { rollup } from 'rollup';
import { defines, terserOptions } from '../../rollup.config.mjs';
import { transpileTs } from '../../scripts/ts-transpile.mjs';

const root = resolve(import.meta.dirname, '../..');

/** `release: true` builds as the published .min.js is built: debug text stripped, minified. */
export async function buildSdk({ release = false } = {}) {
  // One transpiler for both bundles: the modules they share are transpiled once (types are npm run typecheck's job).
  const transpiler = transpileTs(resolve(root, 'packages/sdk/tsconfig.json'));
  await build('index', 'sdk', release, transpiler);
  // `trailmark/vitals-attribution` is an entry of its own in the package; so it is here.
  await build('vitals-attribution', 'vitals-attribution', release, transpiler);
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
