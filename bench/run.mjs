// `npm run bench`: one report. Bundle sizes (min+gzip) per import combination, the main-thread cost of
// 1000 track() calls in Chromium, and each backend's ingest rate against its ceiling, where present.
// Prints one table per part and a final JSON line with every figure.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { combinations, measure } from '../scripts/size.mjs';
import { benchTrack } from './track.mjs';

const root = resolve(import.meta.dirname, '..');
const report = { machine: { node: process.version, cpus: (await import('node:os')).cpus().length }, date: new Date().toISOString() };

const BUDGETS = {
  'createTracker + fetchTransport + memoryQueue': 3.5 * 1024,
  'createTracker + fetchTransport + indexedDbQueue': 4 * 1024,
  'script tag (trailmark.min.js)': 9 * 1024,
};

const sizes = {};
for (const [name, code] of Object.entries(combinations)) {
  const { min, gzip } = await measure(code);
  sizes[name] = { min, gzip, budget: BUDGETS[name] ?? null };
}
const scriptTag = resolve(root, 'packages/sdk/dist/trailmark.min.js');
if (existsSync(scriptTag)) {
  const code = readFileSync(scriptTag);
  sizes['script tag (trailmark.min.js)'] = {
    min: code.length,
    gzip: gzipSync(code, { level: 9 }).length,
    budget: BUDGETS['script tag (trailmark.min.js)'],
  };
}
console.log('\nBundle sizes (bytes; budget is min+gzip)');
console.table(sizes);
report.sizes = sizes;

console.log('\n1000 track() calls in Chromium (ms of main-thread time; median of runs)');
report.track = await benchTrack();
console.table(report.track);

for (const [name, file, fn] of [
  ['receiver', 'bench/receiver.mjs', 'benchReceiver'],
  ['pg-ingest', 'bench/pg-ingest.mjs', 'benchPgIngest'],
  ['d1-worker', 'bench/d1-worker.mjs', 'benchD1Worker'],
]) {
  if (!existsSync(resolve(root, file))) continue;
  console.log(`\n${name}: ingest rate against its ceiling`);
  const module = await import(resolve(root, file));
  report[name] = await module[fn]();
  console.table(report[name]);
}

console.log(JSON.stringify(report));
