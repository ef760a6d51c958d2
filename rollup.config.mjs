// One build for every package: ESM + .d.ts for npm, the SDK's script-tag IIFE (.js and .min.js),
// Node entries for the servers, and the Worker bundle. Packages are built in order (protocol first).
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import commonjs from '@rollup/plugin-commonjs';
import nodeResolve from '@rollup/plugin-node-resolve';
import replace from '@rollup/plugin-replace';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';
import { transpileTs } from './scripts/ts-transpile.mjs';

const sdkVersion = JSON.parse(readFileSync('packages/sdk/package.json', 'utf8')).version;

/** Compile-time flags: `__DEBUG_BUILD__` keeps log strings; the .min.js drops them. */
export function defines(debug) {
  return replace({
    preventAssignment: true,
    values: { __DEBUG_BUILD__: JSON.stringify(debug), __SDK_VERSION__: JSON.stringify(sdkVersion) },
  });
}

/**
 * Terser settings shared by the script-tag build and the size-budget test. Property names starting with `_` and a
 * letter are the SDK's internal ones (queue, delivery, identity, plugin scope): they are mangled too. Wire fields,
 * public options and DOM APIs never start so.
 */
export const terserOptions = {
  ecma: 2020,
  module: false,
  compress: { passes: 3, pure_getters: true },
  mangle: { properties: { regex: /^_[A-Za-z]/ } },
  format: { comments: false },
};

const isExternal = (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0');

function library(dir, input, { debug = true, declarations = true, banner, clean = false } = {}) {
  return {
    input: Object.fromEntries(input.map((name) => [name, `packages/${dir}/src/${name}.ts`])),
    external: isExternal,
    plugins: [
      // A package with hashed chunks: the chunks of earlier builds must not be packed.
      ...(clean
        ? [{ name: 'clean-dist', buildStart: () => rmSync(resolve(`packages/${dir}/dist`), { recursive: true, force: true }) }]
        : []),
      defines(debug),
      typescript({
        tsconfig: `packages/${dir}/tsconfig.json`,
        declaration: declarations,
        declarationDir: resolve(`packages/${dir}/dist`),
        outDir: resolve(`packages/${dir}/dist`),
        rootDir: resolve(`packages/${dir}/src`),
        include: [`packages/${dir}/src/**/*.ts`],
        filterRoot: '.',
        noEmitOnError: true,
      }),
    ],
    // Rollup drops module-level directives; `banner` puts one back on every output file (`'use client';`).
    onwarn(warning, warn) {
      if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
    },
    output: {
      dir: `packages/${dir}/dist`,
      format: 'es',
      entryFileNames: '[name].js',
      chunkFileNames: '[name]-[hash].js',
      ...(banner ? { banner } : {}),
    },
  };
}

/** Writes the Subresource Integrity hash of each script-tag file beside it (`trailmark.min.js.sri`). */
function sri() {
  return {
    name: 'sri',
    generateBundle(_options, bundle) {
      for (const file of Object.values(bundle)) {
        if (file.type !== 'chunk') continue;
        const hash = `sha384-${createHash('sha384').update(file.code).digest('base64')}`;
        this.emitFile({ type: 'asset', fileName: `${file.fileName}.sri`, source: `${hash}\n` });
      }
    },
  };
}

/**
 * The bundles that emit no declarations (the script tag, the Worker, the dashboard, the example app) transpile module
 * by module (scripts/ts-transpile.mjs: the same bytes as the TypeScript plugin, without building and type-checking a
 * program per bundle, about a third of the build's time). Their types are checked by `npm run typecheck`; the
 * packages' ESM builds, which emit declarations, keep the TypeScript plugin.
 */
const sdkTranspiler = transpileTs(resolve('packages/sdk/tsconfig.json'));

/** The script tag's two files: `trailmark(.min).js`, then what it fetches after the page's `load`, `trailmark-later(.min).js`. */
const scriptTagFile = (minified, later) => `packages/sdk/dist/trailmark${later ? '-later' : ''}${minified ? '.min' : ''}.js`;

/**
 * The script tag's second file (packages/sdk/src/script-tag-later.ts), built before the first: the first carries its
 * name and its Subresource Integrity hash, read from the `.sri` file written beside it.
 */
function scriptTagLater(minified) {
  return {
    input: 'packages/sdk/src/script-tag-later.ts',
    plugins: [defines(!minified), nodeResolve({ browser: true }), sdkTranspiler, ...(minified ? [terser(terserOptions)] : []), sri()],
    output: { file: scriptTagFile(minified, true), format: 'iife' },
  };
}

function scriptTag(minified) {
  const later = scriptTagFile(minified, true);
  return {
    input: 'packages/sdk/src/script-tag.ts',
    plugins: [
      defines(!minified),
      replace({
        preventAssignment: true,
        values: {
          __LATER_FILE__: JSON.stringify(later.split('/').pop()),
          // Read when the first file is built, after the second (a function: the config is made before either).
          __LATER_INTEGRITY__: () => JSON.stringify(readFileSync(`${later}.sri`, 'utf8').trim()),
        },
      }),
      nodeResolve({ browser: true }),
      sdkTranspiler,
      ...(minified ? [terser(terserOptions)] : []),
      sri(),
    ],
    output: { file: scriptTagFile(minified, false), format: 'iife' },
  };
}

/**
 * The npm package `trailmark` carries the part of `@trailmark/protocol` it uses (types, limits, the redaction rules,
 * UTM parsing) inside its own dist, as the protocol package is not published: the ESM build compiles the protocol's
 * source into `dist/index.js` (tree-shaken: the runtime schema and valibot stay out), and the declarations are one
 * bundled `dist/index.d.ts` with the protocol's types inlined. The script-tag builds bundled it already.
 */
const sdkTypescript = () => ({
  tsconfig: 'packages/sdk/tsconfig.package.json',
  declaration: false,
  declarationDir: undefined,
  outDir: resolve('packages/sdk/dist'),
  include: ['packages/sdk/src/**/*.ts', 'packages/protocol/src/**/*.ts'],
  filterRoot: '.',
  noEmitOnError: true,
});

function sdkPackage() {
  const protocol = resolve('packages/protocol/src/index.ts');
  const bundled = (id) => id === '@trailmark/protocol';
  return [
    {
      input: {
        index: 'packages/sdk/src/index.ts',
        'vitals-attribution': 'packages/sdk/src/vitals-attribution.ts',
        server: 'packages/sdk/src/server.ts',
      },
      external: (id) => isExternal(id) && !bundled(id),
      // Every package here is `sideEffects: false` (no work at import): a module none of whose exports is used is
      // left out, so the protocol's valibot schema never reaches the SDK.
      treeshake: { moduleSideEffects: false },
      plugins: [
        {
          name: 'clean-sdk-dist',
          // Stale per-module declarations of earlier builds must not be packed.
          buildStart: () => rmSync(resolve('packages/sdk/dist'), { recursive: true, force: true }),
          resolveId: (id) => (bundled(id) ? protocol : null),
        },
        // The published build carries no debug text (log strings, long error messages): `trailmark/debug` does.
        defines(false),
        typescript(sdkTypescript()),
      ],
      output: { dir: 'packages/sdk/dist', format: 'es', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
    },
    {
      // `trailmark/debug`: the same API with the debug text in (the `debug` option's console output), one file.
      input: 'packages/sdk/src/index.ts',
      external: (id) => isExternal(id) && !bundled(id),
      treeshake: { moduleSideEffects: false },
      plugins: [{ name: 'protocol', resolveId: (id) => (bundled(id) ? protocol : null) }, defines(true), typescript(sdkTypescript())],
      output: { file: 'packages/sdk/dist/debug.js', format: 'es' },
    },
    {
      input: 'packages/sdk/src/index.ts',
      external: (id) => isExternal(id) && !bundled(id),
      plugins: [
        dts({ tsconfig: 'packages/sdk/tsconfig.package.json', includeExternal: ['@trailmark/protocol'] }),
        {
          name: 'script-tag-types',
          // The global's declaration is written by hand (packages/sdk/src/script-tag-global.d.ts): script-tag.ts defines no exports.
          writeBundle: () => copyFileSync('packages/sdk/src/script-tag-global.d.ts', 'packages/sdk/dist/script-tag.d.ts'),
        },
      ],
      output: { file: 'packages/sdk/dist/index.d.ts', format: 'es' },
    },
    {
      input: 'packages/sdk/src/vitals-attribution.ts',
      external: (id) => isExternal(id) && !bundled(id),
      plugins: [dts({ tsconfig: 'packages/sdk/tsconfig.package.json', includeExternal: ['@trailmark/protocol'] })],
      output: { file: 'packages/sdk/dist/vitals-attribution.d.ts', format: 'es' },
    },
    {
      // `trailmark/server`: visit tokens and the server-side client (Node, Workers).
      input: 'packages/sdk/src/server.ts',
      external: (id) => isExternal(id) && !bundled(id),
      plugins: [dts({ tsconfig: 'packages/sdk/tsconfig.package.json', includeExternal: ['@trailmark/protocol'] })],
      output: { file: 'packages/sdk/dist/server.d.ts', format: 'es' },
    },
  ];
}

const configs = [
  library('protocol', ['index']),
  ...sdkPackage(),
  scriptTagLater(false),
  scriptTag(false),
  scriptTagLater(true),
  scriptTag(true),
];
// The Node servers' shared HTTP plumbing, built before the two servers that import it.
if (existsSync('packages/node-http/src/index.ts')) configs.push(library('node-http', ['index']));
// @trailmark/react, then the example app that imports it (after the SDK, which both import built).
// Every file of it is a client module: a Next.js Server Component may import the provider (`'use client'` marks the
// boundary), and the hooks run only in the browser.
if (existsSync('packages/react/src/index.ts')) configs.push(library('react', ['index', 'next'], { banner: "'use client';", clean: true }));
if (existsSync('examples/react-router/rollup.config.mjs'))
  configs.push((await import('./examples/react-router/rollup.config.mjs')).default);
if (existsSync('packages/receiver/src/index.ts'))
  configs.push(
    library(
      'receiver',
      ['index', 'cli'].filter((n) => existsSync(`packages/receiver/src/${n}.ts`)),
    ),
  );
if (existsSync('packages/pg-ingest/src/index.ts'))
  configs.push(
    library(
      'pg-ingest',
      ['index', 'cli'].filter((n) => existsSync(`packages/pg-ingest/src/${n}.ts`)),
    ),
  );
if (existsSync('packages/clickhouse/src/index.ts'))
  configs.push(
    library(
      'clickhouse',
      ['index', 'cli'].filter((n) => existsSync(`packages/clickhouse/src/${n}.ts`)),
    ),
  );
if (existsSync('packages/d1-worker/src/worker.ts')) {
  // The Worker ships as one self-contained ES module, as workerd and wrangler load it.
  configs.push({
    input: 'packages/d1-worker/src/worker.ts',
    plugins: [
      defines(false),
      nodeResolve({ browser: true, exportConditions: ['workerd', 'worker', 'browser'] }),
      commonjs(),
      transpileTs(resolve('packages/d1-worker/tsconfig.json')),
    ],
    output: { file: 'packages/d1-worker/dist/worker.js', format: 'es' },
  });
}

if (existsSync('packages/dashboard/src/index.ts')) {
  // The dashboard's one script, minified: its page and stylesheet are plain files in packages/dashboard/public.
  configs.push({
    input: 'packages/dashboard/src/index.ts',
    plugins: [
      defines(false),
      nodeResolve({ browser: true }),
      transpileTs(resolve('packages/dashboard/tsconfig.json')),
      terser({ ...terserOptions, mangle: true }),
    ],
    output: { file: 'packages/dashboard/dist/dashboard.js', format: 'iife' },
  });
}

// `TM_ONLY=receiver npx rollup -c` builds one package, `TM_ONLY=sdk,dashboard` several (their outputs' paths contain
// the name; `react-router` is the example app). scripts/stale-build.mjs names the packages whose sources changed.
const only = process.env.TM_ONLY?.split(',').filter(Boolean);
const outputOf = (config) => JSON.stringify(config.output);
export default only
  ? configs.filter((config) =>
      only.some((name) => outputOf(config).includes(`packages/${name}/`) || outputOf(config).includes(`examples/${name}/`)),
    )
  : configs;
