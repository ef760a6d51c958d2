import { describe, expect, it } from 'vitest';
import { replaceFigures, sizesMarkdown } from '../doc-figures.mjs';

describe('figures written into the docs (scripts/doc-figures.mjs)', () => {
  const open = '<!-- figures:sizes (written by scripts/check-surface.mjs; do not edit by hand) -->';
  it('replaces only what is between its markers, and says when they are missing', () => {
    const doc = `# Title\n\n${open}\n| old | 5,426 B |\n<!-- /figures:sizes -->\n\nafter\n`;
    expect(replaceFigures(doc, 'sizes', '| new | 7,584 B |')).toBe(
      `# Title\n\n${open}\n| new | 7,584 B |\n<!-- /figures:sizes -->\n\nafter\n`,
    );
    expect(() => replaceFigures('# no markers', 'sizes', 'x')).toThrow('no <!-- figures:sizes');
  });

  it('writes each size beside its ceiling and budget, and how far over the budget it is, padded as the formatter pads', () => {
    const table = sizesMarkdown(
      { sizes: { core: { min: 16270, gzip: 7584 } }, plugins: { clicks: { min: 3385, gzip: 1543, cap: 1553 } } },
      { ceilings: { core: 7584 }, budgets: { core: 3584 } },
    );
    expect(table).toBe(
      [
        '| import combination | min      | min+gzip | ceiling (enforced) | budget (target)        |',
        '| ------------------ | -------- | -------- | ------------------ | ---------------------- |',
        '| core               | 16,270 B | 7,584 B  | 7,584 B            | 3,584 B (over by 112%) |',
        '',
        '| plugin, over the memoryQueue combination | min     | min+gzip | cap (enforced) |',
        '| ---------------------------------------- | ------- | -------- | -------------- |',
        '| `clicks`                                 | 3,385 B | 1,543 B  | 1,553 B        |',
      ].join('\n'),
    );
  });
});
