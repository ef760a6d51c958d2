// What the cross-engine suite says about a run: at the start, which engines run and which are skipped (not
// installed); at the end, the scenario × engine table of lost / duplicated events, printed and kept as
// test-results/engines.md, beside the outcomes (the table in docs/engines.md is one of these).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { availability, ENGINES, loadOutcomes, OUTCOMES_DIR, type StoredOutcome } from './engines.js';
import { SCENARIOS } from './scenarios.js';

export function engineBanner(): string {
  const lines = availability().map(({ name, missing }) => `  ${name.padEnd(8)} ${missing ? `SKIPPED: ${missing}` : 'runs'}`);
  return `cross-engine suite (e2e/engines):\n${lines.join('\n')}`;
}

const cell = (outcome: StoredOutcome | undefined, missing: string | undefined) => {
  if (missing) return 'not installed';
  if (!outcome) return 'not run';
  const counts = `${outcome.lost} / ${outcome.duplicated}${outcome.resent ? ` (${outcome.resent} re-sent)` : ''}`;
  return outcome.passed ? counts : `**FAILED** ${counts}`;
};

/** The markdown table of the last run's outcomes, or undefined when no engine scenario ran. */
export function outcomeTable(): string | undefined {
  const outcomes = loadOutcomes();
  if (!outcomes.length) return undefined;
  // Only the engines and scenarios that ran (a --grep'd run prints its own cells, not a table of "not run"); an
  // engine that is not installed keeps its column, saying so.
  const engines = availability().filter(({ name, missing }) => missing || outcomes.some((o) => o.engine === name));
  const find = (engine: string, scenario: string) => outcomes.find((o) => o.engine === engine && o.scenario === scenario);
  const versions = engines.map(({ name }) => outcomes.find((o) => o.engine === name)?.version ?? name);
  const header = `| scenario | ${versions.join(' | ')} |\n| --- | ${versions.map(() => '---').join(' | ')} |`;
  const rows = SCENARIOS.filter((scenario) => outcomes.some((o) => o.scenario === scenario.name)).map(
    (scenario) => `| ${scenario.name} | ${engines.map(({ name, missing }) => cell(find(name, scenario.name), missing)).join(' | ')} |`,
  );
  const notes = outcomes.flatMap((o) => o.notes.map((note) => `- ${o.engine}, ${o.scenario}: ${note}`));
  const totals = ENGINES.map((engine) => {
    const mine = outcomes.filter((o) => o.engine === engine.name);
    const ms = mine.reduce((sum, o) => sum + o.ms, 0);
    return mine.length
      ? `${engine.name} ${mine.filter((o) => o.passed).length}/${mine.length} passed in ${(ms / 1000).toFixed(0)} s`
      : undefined;
  }).filter(Boolean);
  return [
    'Each cell: events lost / events stored twice (and events sent again that the receiver already had), counted by event_id.',
    '',
    header,
    ...rows,
    '',
    `Scenario time: ${totals.join('; ')}.`,
    ...(notes.length ? ['', ...notes] : []),
  ].join('\n');
}

/** Playwright's global teardown: prints the table and keeps it beside the run's other results. */
export default function printSummary() {
  const table = outcomeTable();
  if (!table) return;
  writeFileSync(join(OUTCOMES_DIR, '..', 'engines.md'), `${table}\n`);
  console.log(`\n${engineBanner()}\n\n${table}\n`);
}
