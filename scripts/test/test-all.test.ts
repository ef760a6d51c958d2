import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STAGES } from '../test-all.mjs';

describe('npm test (scripts/test-all.mjs)', () => {
  it('runs every check the package has, each once, and the build before anything that needs it', () => {
    const { scripts } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const steps = STAGES.flat();
    expect(new Set(steps).size).toBe(steps.length);
    expect([...steps].sort()).toEqual([
      'build',
      'lint',
      'test:e2e',
      'test:surface',
      'test:unit',
      'typecheck:examples',
      'typecheck:sources',
    ]);
    for (const step of steps) expect(scripts[step], step).toBeDefined();
    // `npm run typecheck` is exactly the two type checks npm test runs.
    expect(scripts.typecheck).toBe('npm run -s typecheck:sources && npm run -s typecheck:examples');
    expect(STAGES[0]).toContain('build');
    // The examples import the built packages: their type check comes after the build's stage.
    expect(STAGES.findIndex((stage) => stage.includes('typecheck:examples'))).toBeGreaterThan(0);
  });
});
