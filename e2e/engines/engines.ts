// The engines of the cross-engine suite, and where a run keeps its counts (read back for the summary table).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from './chromium.js';
import type { Engine } from './driver.js';
import { firefox } from './firefox.js';
import type { Outcome } from './harness.js';
import { webkit } from './webkit.js';

export const ENGINES: Engine[] = [chromium, firefox, webkit];

/**
 * Where each scenario × engine writes its outcome: Playwright empties test-results/ at the start of a run.
 * `npm run bench` runs the reload loops with a directory of its own (TM_ENGINE_OUTCOMES), so it reads its own run.
 */
export const OUTCOMES_DIR = process.env.TM_ENGINE_OUTCOMES ?? join(process.cwd(), 'test-results', 'engine-outcomes');

export interface StoredOutcome extends Outcome {
  engine: Engine['name'];
  version: string;
  scenario: string;
  passed: boolean;
  ms: number;
}

export function saveOutcome(outcome: StoredOutcome) {
  mkdirSync(OUTCOMES_DIR, { recursive: true });
  const file = `${outcome.engine}-${outcome.scenario.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}.json`;
  writeFileSync(join(OUTCOMES_DIR, file), JSON.stringify(outcome));
}

export function loadOutcomes(): StoredOutcome[] {
  let files: string[] = [];
  try {
    files = readdirSync(OUTCOMES_DIR);
  } catch {
    return [];
  }
  return files
    .filter((file) => file.endsWith('.json'))
    .map((file) => JSON.parse(readFileSync(join(OUTCOMES_DIR, file), 'utf8')) as StoredOutcome);
}

/** Which engines this machine can run, and why the others cannot. */
export const availability = () => ENGINES.map((engine) => ({ name: engine.name, missing: engine.missing() }));
