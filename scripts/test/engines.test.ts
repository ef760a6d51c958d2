import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const read = (file: string) => JSON.parse(readFileSync(new URL(file, root), 'utf8'));

describe('the Node version the README documents', () => {
  it('is one every installed dependency admits (npm install warns of no engine)', () => {
    const manifest = read('package.json') as { engines: { node: string } };
    const oldest = semver.minVersion(manifest.engines.node)?.version as string;
    expect(readFileSync(new URL('README.md', root), 'utf8')).toContain(`Node ${oldest.replace(/\.0$/, '')}+`);
    const lock = read('package-lock.json') as { packages: Record<string, { engines?: { node?: string }; optional?: boolean }> };
    // An optional dependency whose engine does not fit is skipped by npm without a warning (as rollup-plugin-dts'
    // @babel/code-frame is on Node 20).
    const misfits = Object.entries(lock.packages)
      .filter(([, entry]) => !entry.optional && entry.engines?.node && !semver.satisfies(oldest, entry.engines.node))
      .map(([path, entry]) => `${path} wants Node ${entry.engines?.node}`);
    expect(misfits).toEqual([]);
  });
});
