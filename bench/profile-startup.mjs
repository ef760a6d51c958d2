// Where the script tag's start-up time goes (the start-up rows of `npm run bench` say how long; this says on what):
// a CPU profile of the readable build (dist/trailmark.js) on a fresh page, in a fresh browser context per run, the
// samples taken while the page's inline script runs, summed over RUNS runs. Per function, inclusive and self time;
// V8 compiles a function the first time it is called, and that compile time is the function's own. DevTools is
// attached (the profiler needs it), which inflates every figure: read it as proportions.
//   node bench/profile-startup.mjs
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, chromiumPath } from '../e2e/support/chromium.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const tag = readFileSync(resolve(import.meta.dirname, '../packages/sdk/dist/trailmark.js'), 'utf8');
const html = `<!doctype html><html><head><script data-site="bench" data-endpoint="/collect">${tag}</script></head><body></body></html>`;
const server = createServer((req, res) => {
  res.writeHead(req.url === '/' ? 200 : 404, { 'content-type': 'text/html' });
  res.end(req.url === '/' ? html : '');
});
await new Promise((done) => server.listen(0, '127.0.0.1', done));
const executablePath = chromiumPath() ?? chromium.executablePath();
const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
const inclusive = new Map();
const own = new Map();
let total = 0;
const add = (map, key, ms) => map.set(key, (map.get(key) ?? 0) + ms);
try {
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
    await cdp.send('Profiler.start');
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const { profile } = await cdp.send('Profiler.stop');
    await context.close();
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const parents = new Map();
    for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
    const name = (frame) => `${frame.functionName || '(anonymous)'} :${frame.lineNumber + 1}`;
    profile.samples.forEach((id, k) => {
      const ms = (profile.timeDeltas[k + 1] ?? 0) / 1000;
      const stack = [];
      for (let at = id; at !== undefined; at = parents.get(at)) stack.push(nodes.get(at).callFrame);
      // The page's inline script (its top level is line 0 of the page): the SDK's start, nothing after it.
      if (!stack.some((frame) => frame.url.endsWith('/') && !frame.functionName && frame.lineNumber === 0)) return;
      total += ms;
      add(own, name(stack[0]), ms);
      for (const key of new Set(stack.map(name))) add(inclusive, key, ms);
    });
  }
} finally {
  await browser.close();
  server.close();
}
const table = (map) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([key, ms]) => ({ function: key, ms_per_run: Number((ms / RUNS).toFixed(1)), share: `${Math.round((100 * ms) / total)}%` }));
console.log(
  `start-up samples: ${(total / RUNS).toFixed(1)} ms per run (${RUNS} runs, DevTools attached); line numbers of dist/trailmark.js`,
);
console.log('inclusive');
console.table(table(inclusive));
console.log("self (a function's first call includes its compilation)");
console.table(table(own));
