// Measures min+gzip bytes of tiny entry files, bundled exactly like the script-tag build
// (rollup + TypeScript + the release flags + terser). Shared by the size-budget test and `npm run bench`.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import { rollup } from 'rollup';
import { defines, terserOptions } from '../rollup.config.mjs';

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
 * 1,518 → 1,541 B over the base; the plugins' minified bytes are unchanged). Clicks: +178 B on 2026-12-07 for dead
 * clicks (issue 24: 1,553 → 1,731 B over the base); then +17 B with no change to the plugin, from gzip packing it beside
 * issue 23's larger base once merged (1,731 → 1,748 B; minified +4 B). Errors and form abandonment (issue 24): 1,089
 * and 493 B measured (1,097 and 495 B beside issue 23's base).
 */
export const PLUGINS = {
  clicks: { marker: 'auxclick', most: 1748 },
  forms: { marker: 'form_submit', most: 1541 },
  errors: { marker: 'unhandledrejection', most: 1152 },
  formAbandonment: { marker: 'form_abandon', most: 512 },
  pageviews: { marker: 'currententrychange', most: 1024 },
  scrollDepth: { marker: 'max_depth', most: 768 },
  textCopy: { marker: 'selectionEnd', most: 512 },
  visibility: { marker: '"heartbeat"', most: 768 },
  webVitals: { marker: 'navigation_type', most: 3584 },
};

/** The base combination plus one plugin. */
export const withPlugin = (name) => `import { createTracker, fetchTransport, memoryQueue, ${name} } from 'trailmark';
${TRACKER}.use(${name}());`;

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
  const file = resolve(root, 'packages/sdk/dist/trailmark.min.js');
  if (existsSync(file)) {
    const code = readFileSync(file, 'utf8');
    sizes['script tag (trailmark.min.js)'] = { min: Buffer.byteLength(code), gzip: gzipSync(code, { level: 9 }).length, code };
  } else failures.push('packages/sdk/dist/trailmark.min.js is missing: run `npm run build` first');
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

if (import.meta.url === `file://${process.argv[1]}`) {
  const { lines, failures } = await checkSizes({ enforce: [] });
  console.log(lines.join('\n'));
  if (failures.length) console.log(failures.join('\n'));
}
