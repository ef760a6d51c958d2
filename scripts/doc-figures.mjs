// Figures in the docs are written by the script that measures them, between markers
// (`<!-- figures:NAME -->` … `<!-- /figures:NAME -->`), so a doc cannot state a size the code no longer has.
import { readFileSync, writeFileSync } from 'node:fs';

const open = (name) => `<!-- figures:${name} (written by scripts/check-surface.mjs; do not edit by hand) -->`;
const close = (name) => `<!-- /figures:${name} -->`;

/** `text` with the block named `name` replaced by `content`; throws when the markers are missing. */
export function replaceFigures(text, name, content) {
  const start = text.indexOf(open(name));
  const end = text.indexOf(close(name));
  if (start === -1 || end === -1 || end < start) throw new Error(`no ${open(name)} … ${close(name)} block`);
  return `${text.slice(0, start)}${open(name)}\n${content.trim()}\n${text.slice(end)}`;
}

/** Writes the block into `file`; returns whether it changed (false: the doc already said this). */
export function writeFigures(file, name, content) {
  const text = readFileSync(file, 'utf8');
  const next = replaceFigures(text, name, content);
  if (next === text) return false;
  writeFileSync(file, next);
  return true;
}

const number = (n) => n.toLocaleString('en-US');

/** The sizes table of docs/performance.md: each combination against its ceiling and budget, each plugin against its cap. */
export function sizesMarkdown({ sizes, plugins }, { ceilings = {}, budgets = {} } = {}) {
  const rows = [
    '| import combination | min | min+gzip | ceiling (enforced) | budget (target) |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const [name, { min, gzip }] of Object.entries(sizes)) {
    const budget = budgets[name];
    const over = budget === undefined ? '' : gzip <= budget ? ' (met)' : ` (over by ${Math.round(((gzip - budget) / budget) * 100)}%)`;
    rows.push(
      `| ${name} | ${number(min)} B | ${number(gzip)} B | ${ceilings[name] === undefined ? '—' : `${number(ceilings[name])} B`} | ${budget === undefined ? '—' : `${number(budget)} B${over}`} |`,
    );
  }
  rows.push('', '| plugin, over the memoryQueue combination | min | min+gzip | cap (enforced) |', '| --- | --- | --- | --- |');
  for (const [name, { min, gzip, cap }] of Object.entries(plugins))
    rows.push(`| \`${name}\` | ${number(min)} B | ${number(gzip)} B | ${number(cap)} B |`);
  return rows.join('\n');
}
