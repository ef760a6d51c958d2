// The Chromium every browser run here uses: Debian's (or CHROMIUM_PATH), with the flags a machine without a
// sandbox, a GPU or outside network needs. Shared by playwright.config.ts and the track() benchmark.
import { existsSync } from 'node:fs';

/** Debian's Chromium (or CHROMIUM_PATH); undefined where neither exists, so Playwright uses its own browser. */
export const chromiumPath = () => process.env.CHROMIUM_PATH ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
