// The cross-engine suite: every scenario of scenarios.ts in Chromium (Playwright), Firefox (puppeteer-core over
// WebDriver BiDi) and WebKit (W3C WebDriver), each engine that is installed, an engine a spec file (chromium.spec.ts,
// firefox.spec.ts, webkit.spec.ts), so Playwright's workers run the engines side by side, each with its worker's
// receiver and a fault proxy of its own. One engine alone: `npx playwright test e2e/engines --grep @firefox`. The
// summary table is printed at the end of the run.
import { expect, test } from '@playwright/test';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { PORTS, RECEIVER_URL, SITE_URL } from '../support/ports.js';
import { receiver } from '../support/receiver-client.js';
import type { Engine, EngineBrowser } from './driver.js';
import { saveOutcome } from './engines.js';
import type { Outcome } from './harness.js';
import { startSite } from './harness.js';
import { runScenario, SCENARIOS } from './scenarios.js';

/** Every scenario in `engine`, one test each, in the spec file that calls it. */
export function engineSuite(engine: Engine) {
  let proxy: FaultProxy;

  test.beforeAll(async () => {
    proxy = await startFaultProxy({ port: PORTS.engineProxy, target: RECEIVER_URL, upstreamOrigin: SITE_URL });
  });

  test.afterAll(async () => {
    await proxy?.close();
  });

  test.describe(engine.name, () => {
    const missing = engine.missing();
    let browser: EngineBrowser | undefined;

    test.beforeAll(async () => {
      if (!missing) browser = await engine.launch();
    });
    test.afterAll(async () => {
      await browser?.close();
    });

    for (const scenario of SCENARIOS) {
      test(`${scenario.name} @${engine.name}`, async () => {
        test.skip(Boolean(missing), `${engine.name} not installed: ${missing}`);
        if (scenario.timeoutMs) test.setTimeout(scenario.timeoutMs);
        expect(browser).toBeDefined();
        await proxy.up();
        proxy.reset();
        await receiver.reset();
        const site = await startSite(proxy.url, scenario.scripts);
        const session = await browser!.newSession();
        const outcome: Outcome = { lost: 0, duplicated: 0, resent: 0, created: 0, notes: [] };
        const started = Date.now();
        let passed = false;
        try {
          await runScenario(scenario, { engine: engine.name, session, site, proxy, outcome });
          passed = true;
        } finally {
          saveOutcome({
            ...outcome,
            engine: engine.name,
            version: browser!.version,
            scenario: scenario.name,
            passed,
            ms: Date.now() - started,
          });
          await session.close().catch(() => undefined);
          await site.close();
          // What the closed tabs sent as they went reaches the proxy now, not in the next scenario's script of faults.
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      });
    }
  });
}
