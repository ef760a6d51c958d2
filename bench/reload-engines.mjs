// Each event sent once in both reload loops (issue 23), in every engine this machine has: the cross-engine suite's
// two loop scenarios (e2e/engines/scenarios.ts: track 50 then reload at once, 5 rounds; the chaos suite's loop, 25
// reloads at two a second), run through Playwright as `npx playwright test e2e/engines` runs them, with an outcomes
// directory of the bench's own. Per engine and loop: events, lost, events stored twice, ids on the wire and the extra
// copies among them, beside the target (at most 10% of the events more than once, none lost). An engine that is not
// installed is reported as such (Firefox ESR, WebKitGTK's WebDriver: .ci/run installs both).
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const LOOPS = ['track 50 then reload at once', 'a reload loop at two reloads a second'];
export const COPIES_TARGET_SHARE = 0.1;

/** Runs the two loop scenarios in every installed engine; resolves to one row per engine and loop. */
export async function benchReloadEngines() {
  const dir = mkdtempSync(join(tmpdir(), 'trailmark-reload-engines-'));
  const outcomes = join(dir, 'engine-outcomes');
  try {
    const log = await new Promise((done) => {
      execFile(
        resolve(root, 'node_modules/.bin/playwright'),
        ['test', 'e2e/engines', '--grep', LOOPS.join('|'), '--output', join(dir, 'results'), '--reporter=line'],
        // One worker: the engines one after another, so no engine's figures share the cores with another's
        // (timing-bound scenarios).
        { cwd: root, env: { ...process.env, TM_ENGINE_OUTCOMES: outcomes, E2E_WORKERS: '1' }, timeout: 15 * 60_000, maxBuffer: 1 << 26 },
        // A failed scenario still wrote its counts: they are the figures, and `passed` says the target was missed.
        (error, stdout, stderr) => done({ error, text: `${stdout}${stderr}` }),
      );
    });
    let files = [];
    try {
      files = readdirSync(outcomes).filter((file) => file.endsWith('.json'));
    } catch {
      // No engine ran a scenario: the run's own output says why.
    }
    if (!files.length) throw new Error(`no engine ran the reload loops: ${String(log.error ?? '')} ${log.text.slice(-600)}`);
    const skipped = [...log.text.matchAll(/^\s+(\w+)\s+SKIPPED: (.*)$/gm)].map(([, engine, why]) => ({ engine, skipped: why }));
    const rows = files.map((file) => {
      const o = JSON.parse(readFileSync(join(outcomes, file), 'utf8'));
      const sent = o.wire?.sent ?? 0;
      const copies = o.wire?.copies ?? 0;
      return {
        engine: o.version,
        loop: o.scenario.split(':')[0],
        events: o.created,
        lost: o.lost,
        stored_twice: o.duplicated,
        on_wire: sent,
        extra_copies: copies,
        share_more_than_once: o.created ? Number((copies / o.created).toFixed(3)) : null,
        target_share: COPIES_TARGET_SHARE,
        passed: o.passed,
      };
    });
    return { rows: rows.sort((a, b) => a.loop.localeCompare(b.loop) || a.engine.localeCompare(b.engine)), skipped };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchReloadEngines();
  console.table(result.rows);
  console.log(JSON.stringify(result));
}
