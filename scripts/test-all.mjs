// `npm test`: every check, with what is independent run side by side, and one line a step at the end.
// Stage 1 runs the build, the type check of the sources and the lint at once (none reads what another writes: that type
// check resolves every workspace package to its sources, the lint reads the files as they are); the examples' type
// check (they import the built packages, as an app does), the unit tests, the package surface and the browser tests
// follow in order, each after the build. The first failing stage stops the run; its steps' output is shown as it comes.
import { spawn } from 'node:child_process';

/** The stages, in order: the steps of one stage run at the same time (npm scripts of package.json). */
export const STAGES = [['build', 'typecheck:sources', 'lint'], ['typecheck:examples'], ['test:unit'], ['test:surface'], ['test:e2e']];

/** Runs one npm script, its output passed through; resolves to its exit code and how long it took. */
function runScript(name) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', name], { stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve({ name, code: code ?? (signal ? 1 : 0), seconds: (Date.now() - started) / 1000 }));
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = Date.now();
  const results = [];
  let failed = false;
  for (const stage of STAGES) {
    const done = await Promise.all(stage.map(runScript));
    results.push(...done);
    if (done.some((step) => step.code !== 0)) {
      failed = true;
      break;
    }
  }
  console.log(`\nnpm test: ${((Date.now() - started) / 1000).toFixed(0)} s (steps of a stage ran side by side)`);
  for (const { name, code, seconds } of results)
    console.log(`  ${code === 0 ? '✓' : '✗'} ${name.padEnd(13)} ${seconds.toFixed(0).padStart(4)} s`);
  const skipped = STAGES.flat().filter((name) => !results.some((step) => step.name === name));
  if (skipped.length) console.log(`  not run after the failure: ${skipped.join(', ')}`);
  process.exit(failed ? 1 : 0);
}
