// `npm test`: every check, each started as soon as what it needs is there, and one line a step at the end.
// The build, the sources' type check and the lint start at once (none reads what another writes: that type check
// resolves every workspace package to its sources, the lint reads the files as they are). The build gates the rest:
// the examples' type check (they import the built packages, as an app does), the unit tests, the package surface and
// the framework apps' builds the browser tests drive, which then run side by side, and the browser tests after the
// unit tests (see STEPS).
// The steps that have no timed window (the surface, the apps' builds, the sources' type check, the lint) run at a
// lower CPU priority (`nice` 10), so they take what the others leave of the cores. The unit tests keep normal
// priority: their contract suites time a backend under 10,000 requests, and at `nice` 10 on a machine busy with
// other work the D1 Worker's run starved past its 240 s (twice, at load average 11). The first failing step stops
// the run (the others are stopped); each line a step prints is shown as it comes, after the step's name.
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';

/**
 * The steps (npm scripts of package.json): `after` are the steps each waits for, `background` the ones that run at
 * the lower CPU priority.
 */
export const STEPS = [
  { name: 'build', after: [] },
  { name: 'typecheck:sources', after: [], background: true },
  { name: 'lint', after: [], background: true },
  { name: 'typecheck:examples', after: ['build'] },
  { name: 'test:unit', after: ['build'] },
  { name: 'test:surface', after: ['build'], background: true },
  // The framework apps' production builds (next build, vite build) that the browser tests drive: CPU work with no
  // timed window, done beside the unit tests instead of inside the browser tests after them. After the examples' type
  // check, which reads the .next/types that next build rewrites.
  { name: 'build:apps', after: ['build', 'typecheck:examples'], background: true },
  // After the unit tests, not beside them: beside them on two cores, four of the browser tests' waits (a timed flush,
  // a page-hide batch, a scroll measured in a frame) ran out in three fresh-clone runs of four (npm test 396-434 s);
  // each was made event-driven, and the run after still found a new one. They get the cores to themselves until every
  // wait is proven under that load.
  { name: 'test:e2e', after: ['build', 'test:unit', 'build:apps'] },
];

/** The `nice` value of the background steps. */
export const BACKGROUND_NICE = 10;

const width = Math.max(...STEPS.map((step) => step.name.length));

/** Passes a stream's output on line by line, each line after the step's name. */
function prefixLines(stream, name, out) {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) out.write(`${name.padEnd(width)} │ ${line}\n`);
  });
  stream.on('end', () => {
    if (rest) out.write(`${name.padEnd(width)} │ ${rest}\n`);
  });
}

/** Runs one npm script in a process group of its own; resolves to its exit code and how long it took. */
function runScript({ name, background }, running) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', name], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    if (background) {
      // Set before npm starts the script (it inherits the priority); where the OS refuses, the step runs as it is.
      try {
        setPriority(child.pid, BACKGROUND_NICE);
      } catch {
        console.log(`npm test: could not lower the priority of ${name}; it runs at normal priority`);
      }
    }
    running.set(name, child);
    prefixLines(child.stdout, name, process.stdout);
    prefixLines(child.stderr, name, process.stderr);
    child.on('close', (code, signal) => {
      running.delete(name);
      resolve({ name, code: code ?? (signal ? 1 : 0), seconds: (Date.now() - started) / 1000 });
    });
  });
}

/** Stops every step still running (its whole process group: servers and browsers it started too). */
function stopAll(running, signal = 'SIGTERM') {
  for (const child of running.values()) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = Date.now();
  const results = [];
  const running = new Map();
  const stopped = new Set();
  let failed = false;
  for (const signal of ['SIGINT', 'SIGTERM'])
    process.on(signal, () => {
      stopAll(running, signal);
      process.exit(130);
    });

  /** Starts every step whose steps before it have passed, until all are done or one fails. */
  await new Promise((done) => {
    const pending = new Set(STEPS.map((step) => step.name));
    const startReady = () => {
      for (const step of STEPS) {
        if (failed || !pending.has(step.name)) continue;
        if (!step.after.every((name) => results.some((result) => result.name === name && result.code === 0))) continue;
        pending.delete(step.name);
        runScript(step, running).then((result) => {
          results.push(result);
          if (result.code !== 0 && !stopped.has(result.name) && !failed) {
            failed = true;
            for (const name of running.keys()) stopped.add(name);
            stopAll(running);
          }
          if (running.size === 0 && (failed || pending.size === 0)) done();
          else startReady();
        });
      }
    };
    startReady();
  });

  console.log(`\nnpm test: ${((Date.now() - started) / 1000).toFixed(0)} s (each step started once the steps it needs had passed)`);
  for (const { name, code, seconds } of results) {
    const mark = stopped.has(name) ? '–' : code === 0 ? '✓' : '✗';
    const note = stopped.has(name) ? ' (stopped after the failure)' : '';
    console.log(`  ${mark} ${name.padEnd(width)} ${seconds.toFixed(0).padStart(4)} s${note}`);
  }
  const skipped = STEPS.map((step) => step.name).filter((name) => !results.some((step) => step.name === name));
  if (skipped.length) console.log(`  not run after the failure: ${skipped.join(', ')}`);
  process.exit(failed ? 1 : 0);
}
