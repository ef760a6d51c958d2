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

/** A Markdown table with its columns padded as the formatter (biome) leaves them, so a formatted doc stays equal. */
export function markdownTable(header, rows) {
  const widths = header.map((cell, i) => Math.max(3, cell.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

/** The sizes table of docs/performance.md: each combination against its ceiling and budget, each plugin against its cap. */
export function sizesMarkdown({ sizes, plugins }, { ceilings = {}, budgets = {} } = {}) {
  const combos = Object.entries(sizes).map(([name, { min, gzip }]) => {
    const budget = budgets[name];
    const over = budget === undefined ? '' : gzip <= budget ? ' (met)' : ` (over by ${Math.round(((gzip - budget) / budget) * 100)}%)`;
    const ceiling = ceilings[name];
    return [
      name,
      `${number(min)} B`,
      `${number(gzip)} B`,
      ceiling === undefined ? '—' : `${number(ceiling)} B`,
      budget === undefined ? '—' : `${number(budget)} B${over}`,
    ];
  });
  const added = Object.entries(plugins).map(([name, { min, gzip, cap }]) => [
    `\`${name}\``,
    `${number(min)} B`,
    `${number(gzip)} B`,
    `${number(cap)} B`,
  ]);
  return [
    markdownTable(['import combination', 'min', 'min+gzip', 'ceiling (enforced)', 'budget (target)'], combos),
    '',
    markdownTable(['plugin, over the memoryQueue combination', 'min', 'min+gzip', 'cap (enforced)'], added),
  ].join('\n');
}
