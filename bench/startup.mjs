// Start-up cost on a fresh page in Chromium: from the first statement of the script to the end of `createTracker()`
// with every default capture plugin attached (the npm bundle: createTracker + fetchTransport + indexedDbQueue +
// the script tag's default plugins, built as published), and from the first statement of the script tag to the end
// of its start. Each run is a new Chromium process with a new profile (a fresh context) and no DevTools client: the
// page sets two `performance.mark`s and the browser's own start-up trace (`--trace-startup`, user-timing category
// only) records each with the main thread's CPU clock beside the wall clock, so the figure is CPU time (what the
// page pays) and a machine busy with other work does not inflate it. Median of RUNS runs (at least 5); target ≤ 5 ms.
// Beside it, the whole script's CPU time (parse and compile included) and the wall time.
//
// Before/after, alternating (a loaded machine drifts between two series run one after the other):
//   BENCH_STARTUP_SAVE=/tmp/base node bench/startup.mjs     (on the old build: keeps its two bundles)
//   BENCH_STARTUP_BASE=/tmp/base node bench/startup.mjs     (on the new build: base and current runs take turns)
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, chromiumPath } from '../e2e/support/chromium.mjs';
import { measure } from '../scripts/size.mjs';

const root = resolve(import.meta.dirname, '..');
const RUNS = Math.max(5, Number(process.env.BENCH_RUNS ?? 7));
export const STARTUP_TARGET_MS = 5;

/** The npm bundle: everything the issue names, as a user's bundler would build it (release flags, terser). */
const NPM_ENTRY = `import { createTracker, fetchTransport, indexedDbQueue, pageviews, clicks, scrollDepth, forms, visibility, webVitals } from 'trailmark';
createTracker({ siteId: 'bench', transport: fetchTransport({ url: '/collect' }), queue: indexedDbQueue(),
  plugins: [pageviews(), clicks(), scrollDepth(), forms(), visibility(), webVitals()] });`;

/**
 * The page: `tm-start` is the script's first statement (prepended to its text), `tm-end` its last (the script tag's
 * IIFE has run by then); `tm-before` and `tm-after` are the scripts around it, so their span includes its parse and
 * compile.
 */
const page = (script, attrs = '') => `<!doctype html><html><head><meta charset="utf-8"><title>start-up</title>
<script>performance.mark('tm-before')</script>
<script ${attrs}>performance.mark('tm-start');${script}
;performance.mark('tm-end')</script>
<script>performance.mark('tm-after')</script>
</head><body></body></html>`;

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

/**
 * One fresh Chromium (new profile, no DevTools) loads `url` with its start-up trace on; returns the page's marks from
 * the trace: `{ name: [wall µs, main-thread CPU µs] }`.
 */
function freshRun(executablePath, url) {
  const dir = mkdtempSync(join(tmpdir(), 'trailmark-startup-'));
  const file = join(dir, 'trace.json');
  return new Promise((done, fail) => {
    execFile(
      executablePath,
      [
        ...CHROMIUM_ARGS,
        '--headless=new',
        `--user-data-dir=${join(dir, 'profile')}`,
        '--trace-startup=blink.user_timing',
        '--trace-startup-format=json',
        `--trace-startup-file=${file}`,
        '--trace-startup-duration=30',
        '--dump-dom',
        url,
      ],
      { timeout: 60_000, maxBuffer: 1 << 24 },
      (error) => {
        try {
          const events = JSON.parse(readFileSync(file, 'utf8')).traceEvents;
          const marks = {};
          for (const event of events) if (event.name?.startsWith('tm-')) marks[event.name] = [event.ts, event.tts];
          if (!marks['tm-end'] || marks['tm-end'][1] === undefined) throw new Error('no marks with thread time in the trace');
          done(marks);
        } catch (reason) {
          fail(error ?? reason);
        } finally {
          rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
        }
      },
    );
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round = (n) => Math.round(n * 100) / 100;
/** Milliseconds between two marks, on the wall clock (0) or the main thread's CPU clock (1). */
const span = (marks, from, to, clock) => (marks[to][clock] - marks[from][clock]) / 1000;

/** The bundles measured: the npm bundle built from the current packages/sdk/dist, and its script tag. */
async function bundles() {
  return {
    npm: (await measure(NPM_ENTRY)).code,
    tag: readFileSync(resolve(root, 'packages/sdk/dist/trailmark.min.js'), 'utf8'),
  };
}

/** Runs the start-up benchmark; returns medians (ms) per variant beside the target. */
export async function benchStartup() {
  const current = await bundles();
  const save = process.env.BENCH_STARTUP_SAVE;
  if (save) {
    mkdirSync(save, { recursive: true });
    for (const [name, code] of Object.entries(current)) writeFileSync(join(save, `${name}.js`), code);
  }
  const baseDir = process.env.BENCH_STARTUP_BASE;
  const builds = { current };
  if (baseDir) builds.base = { npm: readFileSync(join(baseDir, 'npm.js'), 'utf8'), tag: readFileSync(join(baseDir, 'tag.js'), 'utf8') };
  const variants = [];
  for (const [build, code] of Object.entries(builds)) {
    const suffix = baseDir ? ` [${build}]` : '';
    variants.push(
      [`npm: createTracker + fetchTransport + indexedDbQueue + default plugins${suffix}`, `/${build}-npm.html`, page(code.npm)],
      [
        `script tag (trailmark.min.js), default capture${suffix}`,
        `/${build}-tag.html`,
        page(code.tag, 'data-site="bench" data-endpoint="/collect"'),
      ],
    );
  }
  variants.push(['empty script (the measurement itself)', '/empty.html', page('')]);
  const server = await serve(Object.fromEntries(variants.map(([, path, html]) => [path, html])));
  const base = `http://127.0.0.1:${server.address().port}`;
  const executablePath = chromiumPath() ?? chromium.executablePath();
  const runs = new Map(variants.map(([name]) => [name, []]));
  try {
    // Round by round, every variant once a round: the builds take turns, so drift in the machine's load hits both.
    for (let i = 0; i < RUNS; i++) for (const [name, path] of variants) runs.get(name).push(await freshRun(executablePath, base + path));
  } finally {
    server.close();
  }
  const results = {};
  for (const [name, marks] of runs) {
    const cpu = marks.map((m) => span(m, 'tm-start', 'tm-end', 1));
    results[name] = {
      first_statement_to_end_cpu_ms: round(median(cpu)),
      runs_cpu_ms: cpu.map(round).sort((a, b) => a - b),
      first_statement_to_end_wall_ms: round(median(marks.map((m) => span(m, 'tm-start', 'tm-end', 0)))),
      whole_script_cpu_ms: round(median(marks.map((m) => span(m, 'tm-before', 'tm-after', 1)))),
      target_ms: STARTUP_TARGET_MS,
    };
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await benchStartup();
  for (const [name, r] of Object.entries(results))
    console.log(
      `${name}: ${r.first_statement_to_end_cpu_ms} ms CPU (median of ${r.runs_cpu_ms.length}: ${r.runs_cpu_ms.join(', ')}), target ≤ ${r.target_ms} ms: ${r.first_statement_to_end_cpu_ms <= r.target_ms ? 'met' : 'NOT met'}; wall ${r.first_statement_to_end_wall_ms} ms; whole script ${r.whole_script_cpu_ms} ms CPU`,
    );
  console.log(JSON.stringify({ startup: results }));
}
