// Measures min+gzip bytes of tiny entry files, bundled exactly like the script-tag build
// (rollup + TypeScript + the release flags + terser). Shared by the size-budget test and `npm run bench`.
// `measurePacked()` measures what npm users bundle instead: the same entries against the packed `trailmark` tarball,
// minified by a bundler's defaults. scripts/check-surface.mjs writes both into docs/performance.md.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { rollup } from 'rollup';
import { defines, terserOptions } from '../rollup.config.mjs';
import { markdownTable } from './doc-figures.mjs';
import { unpackSdk } from './pack-sdk.mjs';
import { transpileTs } from './ts-transpile.mjs';

const root = resolve(import.meta.dirname, '..');
const sdk = resolve(root, 'packages/sdk/src/index.ts');

const TRACKER = `createTracker({ siteId: 's', transport: fetchTransport({ url: '/e' }), queue: memoryQueue() })`;

/** The import combinations users pay for, as entry code importing from `trailmark`. */
export const combinations = {
  'createTracker + fetchTransport + memoryQueue': `import { createTracker, fetchTransport, memoryQueue } from 'trailmark';
${TRACKER}.track('x');`,
  'createTracker + fetchTransport + indexedDbQueue': `import { createTracker, fetchTransport, indexedDbQueue } from 'trailmark';
createTracker({ siteId: 's', transport: fetchTransport({ url: '/e' }), queue: indexedDbQueue() }).track('x');`,
};

/**
 * Issue 23's byte targets (min+gzip), printed by `npm run bench` beside the figures: the script tag's part a page
 * downloads before its `load` event at 0.7× Snowplow's UMD, and the npm core with the IndexedDB queue.
 */
export const LEAN_TARGETS = {
  'script tag (trailmark.min.js)': 12288,
  'createTracker + fetchTransport + indexedDbQueue': 8192,
};

/** The script tag's files by the name their size goes by: the first one is all a page downloads before `load`. */
export const SCRIPT_TAG_FILES = {
  'script tag (trailmark.min.js)': 'trailmark.min.js',
  'script tag, after load (trailmark-later.min.js)': 'trailmark-later.min.js',
};

/** The budgets (min+gzip bytes). Never raise them; a budget not met yet is reported, not enforced. */
export const BUDGETS = {
  'createTracker + fetchTransport + memoryQueue': 3584,
  'createTracker + fetchTransport + indexedDbQueue': 4096,
  'script tag (trailmark.min.js)': 9216,
};

/**
 * Each capture plugin, with a string only its own code holds: importing one plugin must bring none of the others.
 * `most` caps what the plugin adds over the base combination (min+gzip bytes). Clicks and forms: +12 / +5 B on
 * 2026-12-03 with no change to either plugin, from how gzip packs them beside issue 12's larger base (1,534 → 1,553 and
 * 1,518 → 1,541 B over the base; the plugins' minified bytes are unchanged). Issue 26 (2026-12-07), measured against
 * the build of the commit before it on the same machine (clicks 1,543, forms 1,527 B over the base): +33 / +50 B for
 * the redaction rules both carry (card numbers with dots or slashes, IBANs with dashes, non-ASCII and punycode e-mail
 * addresses, a `+` after a digit not read as a phone's) and, in forms, `pw` / `cid` in the short list of sensitive
 * field names.
 Then (issue 24) clicks: +178 B on 2026-12-07 for dead
 * clicks (issue 24: 1,553 → 1,731 B over the base); then +17 B with no change to the plugin, from gzip packing it beside
 * issue 23's larger base once merged (1,731 → 1,748 B; minified +4 B). Errors and form abandonment (issue 24): 1,089
 * and 493 B measured (1,097 and 495 B beside issue 23's base).
 * Merged (2026-12-07): clicks capped at the merged build's measurement, 1,786 B (1,553 B + issue 26's +33 B + issue
 * 24's +195 B, +5 B from gzip's packing); then +6 B for the userinfo of a link's href removed in the page (issue 26).
 * Then (issue 23, the script tag's second file) +10 B for every plugin's scope handing a new listener the events the
 * page fired before the plugin started (clicks 1,792 → 1,829 B with +27 B for a replayed click counted at its own
 * time and never watched for a dead click; form abandonment 499 → 514 B with +5 B for a replayed input's target).
 * Then clicks +9 B (1,829 → 1,838 B) and errors +15 B (1,142 → 1,157 B) with no change to either plugin, from how gzip
 * packs them beside a base 78 B smaller (the one UTF-8 byte counter): base and plugin together are 69 and 63 B smaller.
 * Merged with the consent word read again while denied (issue 23, +36 B on the base): clicks +2, errors +2 and
 * formAbandonment +1 B with no change to them, gzip packing them beside that base (1,840 / 1,159 / 515 B measured).
 * Then (issue 23, w23s, start-up) clicks +8 and forms +14 B for the e-mail pattern made on first use (a getter in the
 * redaction rules both carry), errors +16 B with no change to it, gzip packing it beside the lazily built pipeline.
 */
export const PLUGINS = {
  clicks: { marker: 'auxclick', most: 1848 },
  forms: { marker: 'form_submit', most: 1605 },
  errors: { marker: 'unhandledrejection', most: 1175 },
  formAbandonment: { marker: 'form_abandon', most: 515 },
  pageviews: { marker: 'currententrychange', most: 1024 },
  scrollDepth: { marker: 'max_depth', most: 768 },
  textCopy: { marker: 'selectionEnd', most: 512 },
  visibility: { marker: '"heartbeat"', most: 768 },
  webVitals: { marker: 'navigation_type', most: 3584 },
};

/** The base combination plus one plugin. */
export const withPlugin = (name) => `import { createTracker, fetchTransport, memoryQueue, ${name} } from 'trailmark';
${TRACKER}.use(${name}());`;

/** The SDK's TypeScript, transpiled once for every measurement of a run (the modules are the same in each). */
let transpiler;

/**
 * Bundles `code` with `trailmark` resolved to `sdkEntry`, through `plugins` then terser with `minify` options, as
 * `format`; returns the minified code and its min and gzip (level 9) bytes.
 */
async function bundleSize(code, sdkEntry, { plugins, minify, format }) {
  const bundle = await rollup({
    input: 'entry',
    onwarn: (warning, warn) => (warning.code === 'EMPTY_BUNDLE' ? undefined : warn(warning)),
    plugins: [
      {
        name: 'entry',
        resolveId: (id) => (id === 'entry' ? id : id === 'trailmark' ? sdkEntry : null),
        load: (id) => (id === 'entry' ? code : null),
      },
      ...plugins,
    ],
  });
  const { output } = await bundle.generate({ format, plugins: [terser(minify)] });
  await bundle.close();
  const min = output[0].code;
  return { min: Buffer.byteLength(min), gzip: gzipSync(min, { level: 9 }).length, code: min };
}

/** Bundles `code` (which imports from `trailmark`) from the SDK's source like the release build; returns its sizes. */
export function measure(code) {
  transpiler ??= transpileTs(resolve(root, 'packages/sdk/tsconfig.json'));
  return bundleSize(code, sdk, {
    plugins: [defines(false), nodeResolve({ browser: true }), transpiler],
    minify: terserOptions,
    format: 'iife',
  });
}

const row = (name, min, gzip, note = '') =>
  `${name.padEnd(52)} ${String(min).padStart(7)} B min  ${String(gzip).padStart(6)} B gzip${note}`;

/**
 * What a row says of one measured size: the enforced ceiling first, as pass or fail (`✓ ceiling 5426 B, 26 B to
 * spare` / `✗ OVER its ceiling 5426 B by 12 B`), then the target as a labelled reference, never as a verdict.
 */
function verdict(gzip, ceiling, budget, enforced) {
  const parts = [];
  if (ceiling !== undefined)
    parts.push(
      gzip > ceiling ? `✗ OVER its ceiling ${ceiling} B by ${gzip - ceiling} B` : `✓ ceiling ${ceiling} B, ${ceiling - gzip} B to spare`,
    );
  if (budget !== undefined) {
    const met = gzip <= budget ? 'met' : `${gzip - budget} B to go`;
    parts.push(enforced ? `${gzip > budget ? '✗' : '✓'} budget ${budget} B` : `(target ${budget} B, not enforced: ${met})`);
  }
  return parts.length ? `  ${parts.join('  ')}` : '';
}

/**
 * Measures every combination, the script tag (when built) and each plugin over the base; returns printable lines
 * and the failures: a size over its ceiling, a budget exceeded that is enforced, a plugin over its cap or carrying
 * another plugin's code. `enforce` lists the budgets that fail the run when exceeded; `ceilings` are the sizes that
 * fail it while a budget is not met yet.
 */
export async function checkSizes({ enforce = Object.keys(BUDGETS), ceilings = {} } = {}) {
  const lines = [];
  const failures = [];
  const sizes = {};
  for (const [name, code] of Object.entries(combinations)) sizes[name] = await measure(code);
  // The script tag's two files: what a page downloads before its `load` event, and what it fetches after.
  for (const [name, file] of Object.entries(SCRIPT_TAG_FILES)) {
    const path = resolve(root, 'packages/sdk/dist', file);
    if (existsSync(path)) {
      const code = readFileSync(path, 'utf8');
      sizes[name] = { min: Buffer.byteLength(code), gzip: gzipSync(code, { level: 9 }).length, code };
    } else failures.push(`packages/sdk/dist/${file} is missing: run \`npm run build\` first`);
  }
  for (const [name, { min, gzip }] of Object.entries(sizes)) {
    const budget = BUDGETS[name];
    const ceiling = ceilings[name];
    const enforced = enforce.includes(name);
    lines.push(row(name, min, gzip, verdict(gzip, ceiling, budget, enforced)));
    if (ceiling !== undefined && gzip > ceiling) failures.push(`${name} grew to ${gzip} B min+gzip, over its ceiling of ${ceiling} B`);
    if (budget !== undefined && gzip > budget && enforced)
      failures.push(`${name} is ${gzip} B min+gzip, over its budget of ${budget} B by ${gzip - budget} B`);
  }
  const base = sizes['createTracker + fetchTransport + memoryQueue'];
  const plugins = {};
  for (const [name, { marker, most }] of Object.entries(PLUGINS)) {
    const { min, gzip, code } = await measure(withPlugin(name));
    const added = gzip - base.gzip;
    plugins[name] = { min: min - base.min, gzip: added, cap: most };
    const others = Object.entries(PLUGINS).filter(([other, p]) => other !== name && code.includes(p.marker));
    lines.push(row(`  + ${name}`, min - base.min, added, `  (cap ${most})`));
    if (!code.includes(marker)) failures.push(`the ${name} measurement does not contain its own code (marker ${marker})`);
    if (added > most) failures.push(`${name} adds ${added} B min+gzip to the base, over its cap of ${most} B`);
    for (const [other] of others) failures.push(`importing ${name} also bundles ${other}'s code`);
  }
  return { lines, failures, sizes, plugins };
}

/** `trailmark` packed and unpacked under node_modules/.cache (scripts/pack-sdk.mjs); returns its folder. */
export const unpackedSdk = () => unpackSdk(resolve(root, 'node_modules/.cache/trailmark-size/node_modules/trailmark'));

/**
 * Bundles `code` (which imports from `trailmark`) against the unpacked package at `pkg`, as an app's production
 * build does: the package's ESM entry resolved for the browser, an ES module output, terser with its defaults (no
 * property mangling: a bundler does not know which of the SDK's properties are internal). Returns min and gzip bytes.
 */
export function measurePacked(code, pkg) {
  const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
  return bundleSize(code, join(pkg, manifest.exports['.'].default), {
    plugins: [nodeResolve({ browser: true })],
    minify: { format: { comments: false } },
    format: 'es',
  });
}

/** What npm users bundle: each combination from the packed tarball, and what each plugin adds to the first. */
export async function packedSizes(pkg = unpackedSdk()) {
  const sizes = {};
  for (const [name, code] of Object.entries(combinations)) sizes[name] = await measurePacked(code, pkg);
  const base = sizes['createTracker + fetchTransport + memoryQueue'];
  for (const name of Object.keys(PLUGINS)) {
    const { min, gzip } = await measurePacked(withPlugin(name), pkg);
    sizes[`  + ${name}`] = { min: min - base.min, gzip: gzip - base.gzip };
  }
  return sizes;
}

/** The docs table of `sizes` (from `packedSizes()`), its columns padded as the formatter (biome) leaves them. */
export const packedTable = (sizes) =>
  markdownTable(
    ['what the app imports from `trailmark`', 'min', 'gzip'],
    Object.entries(sizes).map(([name, { min, gzip }]) => [
      name.trim().startsWith('+') ? `plus \`${name.trim().slice(2)}()\`` : name,
      String(min),
      String(gzip),
    ]),
  );

if (import.meta.url === `file://${process.argv[1]}`) {
  const { lines, failures } = await checkSizes({ enforce: [] });
  console.log(lines.join('\n'));
  if (failures.length) console.log(failures.join('\n'));
}
