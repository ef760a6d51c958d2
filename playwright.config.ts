import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, chromiumPath } from './e2e/support/chromium.mjs';
import { appOrigins, E2E_WORKERS, PORTS, portsFor } from './e2e/support/ports.js';

/** Debian's Chromium (or CHROMIUM_PATH); Playwright's own browser where a user has installed one. */
const executablePath = chromiumPath();

/** The ports scripts/demo.mjs derives the site's endpoint and the receiver's allowed origin from. */
const demoEnv = (site: number, receiver: number) => ({ PORT_SITE: String(site), PORT_RECEIVER: String(receiver) });

export default defineConfig({
  testDir: './e2e',
  timeout: 60_000,
  // How long an assertion waits for what is still on its way (an event's next timed flush, a page-hide batch resent
  // by the next page): npm test runs these beside the unit tests on two cores, where 5 s (the default) ran out while
  // the events were on their way (the text copy, the web vitals of a page left). What each test asserts is unchanged.
  expect: { timeout: 15_000 },
  // Spec files run side by side, one worker each (tests within a file in order); every worker has its own servers.
  fullyParallel: false,
  workers: E2E_WORKERS,
  retries: 0,
  reporter: process.env.CI ? [['list']] : [['list']],
  globalSetup: './e2e/support/global-setup.ts',
  // The cross-engine suite's scenario × engine table (e2e/engines/summary.ts).
  globalTeardown: './e2e/engines/summary.ts',
  use: {
    baseURL: `http://127.0.0.1:${PORTS.recorder}`,
    launchOptions: {
      ...(executablePath ? { executablePath } : {}),
      args: CHROMIUM_ARGS,
    },
  },
  // Each worker's own servers (e2e/support/ports.ts): the recorder, the receiver, the site and the chaos tests' site.
  webServer: Array.from({ length: E2E_WORKERS }, (_, index) => portsFor(index)).flatMap((ports) => [
    {
      command: 'node e2e/support/recorder.mjs',
      url: `http://127.0.0.1:${ports.recorder}/pages/blank.html`,
      reuseExistingServer: !process.env.CI,
      env: { PORT: String(ports.recorder) },
    },
    {
      // The reference receiver, in memory and in dev mode (inspection endpoints), allowing the site's origin.
      command: 'node scripts/demo.mjs --receiver-only --memory --no-build',
      url: `http://127.0.0.1:${ports.receiver}/healthz`,
      reuseExistingServer: !process.env.CI,
      // The framework apps of e2e/next.spec.ts and e2e/frameworks.spec.ts send from their own origins.
      env: { ...demoEnv(ports.site, ports.receiver), TM_DEMO_ORIGINS: appOrigins(ports).join(',') },
    },
    {
      // examples/static-site with the built trailmark.min.js, its pages sending to the receiver.
      command: 'node scripts/demo.mjs --site-only --no-build',
      url: `http://127.0.0.1:${ports.site}/`,
      reuseExistingServer: !process.env.CI,
      env: demoEnv(ports.site, ports.receiver),
    },
    {
      // The same site for the chaos tests, its pages sending to the fault proxy those tests start.
      command: 'node scripts/demo.mjs --site-only --no-build',
      url: `http://127.0.0.1:${ports.chaosSite}/`,
      reuseExistingServer: !process.env.CI,
      env: demoEnv(ports.chaosSite, ports.proxy),
    },
  ]),
});
