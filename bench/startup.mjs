// Start-up cost on a fresh page in Chromium: from the first statement of the script to the end of `createTracker()`
// with every default capture plugin attached (the npm bundle: createTracker + fetchTransport + indexedDbQueue +
// the script tag's default plugins, built as published), and from the first statement of the script tag to the end
// of its start. Each run is a new Chromium process with a new profile (a fresh context), no DevTools client
// attached: the page writes its own `performance.now()` figures into the DOM, which `--dump-dom` prints. Median of
// RUNS runs; target ≤ 5 ms. Beside it, the whole script tag's time (parse and compile included).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, chromiumPath } from '../e2e/support/chromium.mjs';
import { measure } from '../scripts/size.mjs';

const root = resolve(import.meta.dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
export const STARTUP_TARGET_MS = 5;

/** The npm bundle: everything the issue names, as a user's bundler would build it (release flags, terser). */
const NPM_ENTRY = `import { createTracker, fetchTransport, indexedDbQueue, pageviews, clicks, scrollDepth, forms, visibility, webVitals } from 'trailmark';
window.__tm.created = performance.now();
createTracker({ siteId: 'bench', transport: fetchTransport({ url: '/collect' }), queue: indexedDbQueue(),
  plugins: [pageviews(), clicks(), scrollDepth(), forms(), visibility(), webVitals()] });
window.__tm.end = performance.now();`;

/**
 * The page: `__tm.start` is the script's first statement (prepended to its text), `__tm.end` its last; the script
 * tag's end is after its IIFE has run. The figures are written into the DOM at once.
 */
const page = (script, attrs = '') => `<!doctype html><html><head><meta charset="utf-8"><title>start-up</title>
<script>window.__tm = { before: performance.now() };</script>
<script ${attrs}>window.__tm.start = performance.now();${script}
;window.__tm.end ??= performance.now();</script>
<script>window.__tm.after = performance.now();</script>
</head><body><pre id="r"></pre><script>
const write = () => { document.getElementById('r').textContent = JSON.stringify(window.__tm); };
write();
</script></body></html>`;

function serve(pages) {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'POST') {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true,"accepted":[],"duplicates":[],"rejected":[]}');
      });
      return;
    }
    const body = pages[path];
    res.writeHead(body ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    res.end(body ?? '');
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done(server)));
}

/** One fresh Chromium (new profile, no DevTools): loads `url` and returns the figures the page wrote. */
function freshRun(executablePath, url) {
  const dir = mkdtempSync(join(tmpdir(), 'trailmark-startup-'));
  return new Promise((done, fail) => {
    execFile(
      executablePath,
      [...CHROMIUM_ARGS, '--headless=new', `--user-data-dir=${dir}`, '--dump-dom', url],
      { timeout: 60_000, maxBuffer: 1 << 24 },
      (error, stdout) => {
        rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
        const match = /<pre id="r">([^<]*)<\/pre>/.exec(stdout ?? '');
        if (!match) return fail(error ?? new Error(`no figures in the page's DOM: ${String(stdout).slice(0, 300)}`));
        done(JSON.parse(match[1].replaceAll('&quot;', '"').replaceAll('&amp;', '&')));
      },
    );
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round = (n) => Math.round(n * 100) / 100;

/** Runs the start-up benchmark; returns medians (ms) per variant beside the target. */
export async function benchStartup() {
  const npm = (await measure(NPM_ENTRY)).code;
  const tag = readFileSync(resolve(root, 'packages/sdk/dist/trailmark.min.js'), 'utf8');
  const pages = {
    '/npm.html': page(npm),
    '/tag.html': page(tag, 'data-site="bench" data-endpoint="/collect"'),
    '/empty.html': page(''),
  };
  const server = await serve(pages);
  const base = `http://127.0.0.1:${server.address().port}`;
  const executablePath = chromiumPath() ?? chromium.executablePath();
  const results = {};
  try {
    for (const [name, path] of [
      ['npm: createTracker + fetchTransport + indexedDbQueue + default plugins', '/npm.html'],
      ['script tag (trailmark.min.js), default capture', '/tag.html'],
      ['empty script (the measurement itself)', '/empty.html'],
    ]) {
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push(await freshRun(executablePath, base + path));
      results[name] = {
        first_statement_to_end_ms: round(median(runs.map((r) => r.end - r.start))),
        runs_ms: runs.map((r) => round(r.end - r.start)).sort((a, b) => a - b),
        whole_script_ms: round(median(runs.map((r) => r.after - r.before))),
        target_ms: STARTUP_TARGET_MS,
      };
    }
  } finally {
    server.close();
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await benchStartup();
  console.table(results);
  console.log(JSON.stringify({ startup: results }));
}
