// The `trailmark` package as npm would publish it, unpacked where a consumer in the repository resolves it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const sdk = resolve(import.meta.dirname, '../packages/sdk');

/**
 * Packs `trailmark` (`npm pack` of the built package) and unpacks the tarball into `into` (emptied first): put it in a
 * `node_modules/trailmark` folder inside the repository, so its own dependencies (idb-keyval, web-vitals) resolve
 * from the repository's node_modules as they would in an app. Returns `into`. Run after `npm run build`.
 */
export function unpackSdk(into) {
  const packed = mkdtempSync(join(tmpdir(), 'trailmark-pack-'));
  try {
    execFileSync('npm', ['pack', '--silent', '--pack-destination', packed], { cwd: sdk, stdio: 'ignore' });
    const [tarball] = readdirSync(packed).filter((name) => name.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack left no tarball in ${packed}`);
    rmSync(into, { recursive: true, force: true });
    mkdirSync(into, { recursive: true });
    execFileSync('tar', ['xzf', join(packed, tarball), '-C', into, '--strip-components=1']);
    return into;
  } finally {
    rmSync(packed, { recursive: true, force: true });
  }
}
