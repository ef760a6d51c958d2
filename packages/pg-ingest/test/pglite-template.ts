import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';

// A new PGlite database runs initdb in WebAssembly: ~1.7 CPU-seconds each, and the suites open dozens. Every test
// database starts instead from a copy of one empty database's data directory (PGlite's `loadDataDir`, ~0.5 CPU-s),
// made once and kept in a file for the other test processes. It is what initdb writes, not yet migrated: each test
// migrates its copy as it did an empty database (migrations are still run, and tested, every time).

const root = new URL('../../../node_modules/', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('@electric-sql/pglite/package.json', root), 'utf8')) as { version: string };
const cacheDir = new URL('.cache/trailmark/', root);
const file = new URL(`pglite-${version}-empty.tar`, cacheDir);

let template: Promise<Blob> | undefined;

/** The data directory of an empty PGlite database (this PGlite version's initdb), to open test databases from. */
export function emptyDataDir(): Promise<Blob> {
  template ??= (async () => {
    try {
      return new Blob([readFileSync(file)]);
    } catch {
      const db = await PGlite.create('memory://');
      const dump = await db.dumpDataDir('none');
      await db.close();
      // Written aside and renamed: a test process starting at the same moment reads the whole file or none.
      mkdirSync(cacheDir, { recursive: true });
      const aside = new URL(`pglite-${version}-empty.${process.pid}.tmp`, cacheDir);
      writeFileSync(aside, new Uint8Array(await dump.arrayBuffer()));
      renameSync(aside, file);
      return dump;
    }
  })();
  return template;
}
