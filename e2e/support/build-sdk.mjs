// Bundles the SDK's source as one browser ES module (e2e/.build/sdk.js) for pages that drive the API directly.
import { resolve } from 'node:path';
import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import { rollup } from 'rollup';
import { defines, terserOptions } from '../../rollup.config.mjs';

const root = resolve(import.meta.dirname, '../..');

/** `release: true` builds as the published .min.js is built: debug text stripped, minified. */
export async function buildSdk({ release = false } = {}) {
  await build('index', 'sdk', release);
  // `trailmark/vitals-attribution` is an entry of its own in the package; so it is here.
  await build('vitals-attribution', 'vitals-attribution', release);
}

async function build(entry, name, release) {
  const bundle = await rollup({
    input: resolve(root, `packages/sdk/src/${entry}.ts`),
    plugins: [
      defines(!release),
      nodeResolve({ browser: true }),
      typescript({
        tsconfig: resolve(root, 'packages/sdk/tsconfig.json'),
        declaration: false,
        declarationDir: undefined,
        outDir: resolve(root, 'e2e/.build'),
        include: ['packages/*/src/**/*.ts'],
        filterRoot: root,
        noEmitOnError: true,
      }),
    ],
  });
  await bundle.write({
    file: resolve(root, `e2e/.build/${name}.js`),
    format: 'es',
    plugins: release ? [terser({ ...terserOptions, module: true })] : [],
  });
  await bundle.close();
}

if (import.meta.url === `file://${process.argv[1]}`) await buildSdk();
