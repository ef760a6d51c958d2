// The Chromium every browser run here uses: Debian's (or CHROMIUM_PATH), with the flags a machine without a
// sandbox, a GPU or outside network needs. Shared by playwright.config.ts and the track() benchmark.
import { execFileSync } from 'node:child_process';
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

const version = (path) => {
  try {
    return execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'version unknown';
  }
};

/**
 * Which browser the e2e run drives, said in one line before it starts (`Playwright's own` is the one
 * `npx playwright install chromium` downloads); throws with how to get one when there is none, so a new machine
 * learns that first, not from a launch error in every test.
 */
export async function describeBrowser() {
  const chosen = chromiumPath();
  if (chosen) {
    if (!existsSync(chosen)) throw new Error(`e2e: CHROMIUM_PATH is ${chosen}, which does not exist`);
    const source = process.env.CHROMIUM_PATH ? 'CHROMIUM_PATH' : "Debian's chromium package";
    return `e2e browser: ${chosen} (${source}; ${version(chosen)})`;
  }
  const { chromium } = await import('@playwright/test');
  const own = chromium.executablePath();
  if (own && existsSync(own)) return `e2e browser: ${own} (Playwright's own Chromium)`;
  throw new Error(
    'e2e: no Chromium found. Install one: `apt-get install chromium` (Debian/Ubuntu; used from /usr/bin/chromium), ' +
      "or Playwright's own with `npx playwright install chromium`, or set CHROMIUM_PATH to a Chromium binary.",
  );
}
