// Measures min+gzip bytes of tiny entry files, bundled exactly like the script-tag build
// (rollup + TypeScript + the release flags + terser). Shared by the size-budget test and `npm run bench`.
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import { rollup } from 'rollup';
import { defines, terserOptions } from '../rollup.config.mjs';

const root = resolve(import.meta.dirname, '..');
const sdk = resolve(root, 'packages/sdk/src/index.ts');

/** The import combinations users pay for, as entry code importing from `trailmark`. */
export const combinations = {
  'createTracker + fetchTransport + memoryQueue': `import { createTracker, fetchTransport, memoryQueue } from 'trailmark';
createTracker({ siteId: 's', transport: fetchTransport({ url: '/e' }), queue: memoryQueue() }).track('x');`,
  'createTracker + fetchTransport + indexedDbQueue': `import { createTracker, fetchTransport, indexedDbQueue } from 'trailmark';
createTracker({ siteId: 's', transport: fetchTransport({ url: '/e' }), queue: indexedDbQueue() }).track('x');`,
};

/** Bundles `code` (which imports from `trailmark`) and returns its minified and gzipped sizes. */
export async function measure(code) {
  const bundle = await rollup({
    input: 'entry',
    onwarn: (warning, warn) => (warning.code === 'EMPTY_BUNDLE' ? undefined : warn(warning)),
    plugins: [
      {
        name: 'entry',
        resolveId: (id) => (id === 'entry' ? id : id === 'trailmark' ? sdk : null),
        load: (id) => (id === 'entry' ? code : null),
      },
      defines(false),
      nodeResolve({ browser: true }),
      typescript({
        tsconfig: resolve(root, 'packages/sdk/tsconfig.json'),
        declaration: false,
        declarationDir: undefined,
        outDir: undefined,
        include: ['packages/*/src/**/*.ts'],
        filterRoot: root,
        noEmitOnError: true,
      }),
    ],
  });
  const { output } = await bundle.generate({ format: 'iife', plugins: [terser(terserOptions)] });
  await bundle.close();
  const min = output[0].code;
  return { min: Buffer.byteLength(min), gzip: gzipSync(min, { level: 9 }).length, code: min };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [name, code] of Object.entries(combinations)) {
    const { min, gzip } = await measure(code);
    console.log(`${name.padEnd(50)} ${String(min).padStart(7)} B min  ${String(gzip).padStart(6)} B gzip`);
  }
}
