import { fileURLToPath } from 'node:url';

// Resolved from a module at the root of `src/` (tests) or `dist/` (built chunks), both one level under the
// package, so the same relative URL finds the package's folders in either case.

/** The ordered `.sql` migrations. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));
/** The live page's static files. */
export const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));
