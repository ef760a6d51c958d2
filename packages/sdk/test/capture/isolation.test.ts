// @vitest-environment node
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dir = new URL('../../src/capture/', import.meta.url);
const plugins = readdirSync(dir).filter((file) => file.endsWith('.ts') && !['index.ts', 'scope.ts', 'engaged.ts'].includes(file));
/**
 * What a plugin may import at run time: the shared helpers, the protocol's redaction, the bundled web-vitals (and its
 * attribution build, for `vitalsAttribution()` only).
 */
const ALLOWED = new Set(['./scope.js', './engaged.js', '@trailmark/protocol', 'web-vitals', 'web-vitals/attribution']);

/** The run-time imports of a module (`import type` costs no bytes and is left out). */
const runtimeImports = (source: string) => [...source.matchAll(/^import\s+(?!type\s)[^'"]*from\s+'([^']+)'/gm)].map((match) => match[1]);

describe('capture plugins stay separable', () => {
  it('finds the nine plugin modules and the web vitals attribution observers', () => {
    expect(plugins.sort()).toEqual([
      'clicks.ts',
      'errors.ts',
      'form-abandonment.ts',
      'forms.ts',
      'pageviews.ts',
      'scroll-depth.ts',
      'text-copy.ts',
      'visibility.ts',
      'web-vitals-attribution.ts',
      'web-vitals.ts',
    ]);
  });

  it.each(plugins)('%s imports no other plugin and nothing of the core at run time', (file) => {
    const imports = runtimeImports(readFileSync(new URL(file, dir), 'utf8'));
    expect(imports.filter((path) => !ALLOWED.has(path!))).toEqual([]);
  });

  it.each(plugins)('%s does no work at import: its only top-level statements are imports, constants and declarations', (file) => {
    const source = readFileSync(new URL(file, dir), 'utf8');
    const topLevel = source
      .split('\n')
      .filter((line) => /^[a-z]/.test(line) && !/^(import|export (type|interface|function)|const [A-Z_]+ =|type |function |})/.test(line));
    expect(topLevel).toEqual([]);
  });
});

describe('web vitals attribution stays out of the main entry', () => {
  it('is reachable only through trailmark/vitals-attribution: the attribution build observes resources when imported', () => {
    const main = ['../../src/index.ts', '../../src/capture/index.ts'].map((file) => readFileSync(new URL(file, import.meta.url), 'utf8'));
    expect(main.filter((source) => source.includes('attribution'))).toEqual([]);
    const entry = readFileSync(new URL('../../src/vitals-attribution.ts', import.meta.url), 'utf8');
    expect(entry).toContain("export { vitalsAttribution } from './capture/web-vitals-attribution.js';");
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(manifest.exports['./vitals-attribution'].default).toBe('./dist/vitals-attribution.js');
  });
});
