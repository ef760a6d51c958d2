import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LONGEST_FIRST } from '../../vitest.sequencer.js';
import { STEPS } from '../test-all.mjs';

describe('npm test (scripts/test-all.mjs)', () => {
  it('runs every check the package has, each once, and the build before anything that needs it', () => {
    const { scripts } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const steps = STEPS.map((step) => step.name);
    expect(new Set(steps).size).toBe(steps.length);
    expect([...steps].sort()).toEqual([
      'build',
      'build:apps',
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
    const waitsFor = (name: string) => STEPS.find((step) => step.name === name)?.after ?? [];
    // Every step waits only for steps that exist and come before it, so the run cannot wait forever.
    for (const [index, step] of STEPS.entries())
      for (const name of step.after) expect(steps.slice(0, index), `${step.name} after ${name}`).toContain(name);
    expect(waitsFor('build')).toEqual([]);
    // What reads the built packages waits for the build: the examples' type check (they import them as an app does),
    // the unit tests (the D1 Worker's bundle, the example site), the surface (the tarballs) and the browser tests.
    for (const name of ['typecheck:examples', 'test:unit', 'test:surface', 'build:apps', 'test:e2e'])
      expect(waitsFor(name), name).toContain('build');
    // The browser tests find the framework apps built (beside the unit tests), and start after the unit tests.
    expect(waitsFor('test:e2e')).toEqual(expect.arrayContaining(['test:unit', 'build:apps']));
    expect(waitsFor('build:apps')).not.toContain('test:unit');
    // next build rewrites the .next/types the examples' type check reads: one after the other.
    expect(waitsFor('build:apps')).toContain('typecheck:examples');
  });

  it('keeps the tests with timed windows and what gates them at normal CPU priority, the untimed steps below them', () => {
    const background = STEPS.filter((step) => step.background).map((step) => step.name);
    expect(background.sort()).toEqual(['build:apps', 'lint', 'test:surface', 'typecheck:sources']);
  });

  it('starts the unit test files that take longest first, each of them a file that exists', () => {
    for (const file of LONGEST_FIRST) expect(existsSync(new URL(`../../${file}`, import.meta.url)), file).toBe(true);
  });
});
