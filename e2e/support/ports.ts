/**
 * Where the e2e harness serves everything (all on 127.0.0.1). Ports of their own, not the demo's 8787/8080, so a
 * `npm start` left running is never reused, reset or wiped by a test run.
 */
/** `E2E_PORT_OFFSET` moves them all, so two checkouts on one machine can run their browser tests at once. */
const offset = Number(process.env.E2E_PORT_OFFSET ?? 0);

/** How many Playwright workers run spec files side by side (`E2E_WORKERS`, default 2); each has its own servers. */
export const E2E_WORKERS = Math.max(1, Number(process.env.E2E_WORKERS ?? 2) || 1);

/**
 * The ports of worker `index` (Playwright's TEST_PARALLEL_INDEX): 20 apart, so a worker's receiver, sites, proxies
 * and recorder are its own, and a test's `receiver.reset()` never wipes what another worker's test stored.
 */
export function portsFor(index: number) {
  const at = offset + 20 * index;
  return {
    /** The recorder of the SDK's own browser tests (e2e/support/recorder.mjs). */
    recorder: 4310 + at,
    /** The reference receiver: `scripts/demo.mjs --receiver-only --memory` (dev mode, so /_trailmark/* exists). */
    receiver: 18787 + at,
    /** examples/static-site with the built script tag, sending straight to the receiver. */
    site: 18080 + at,
    /** The fault-injecting proxy the chaos tests start in front of the receiver (e2e/support/fault-proxy.ts). */
    proxy: 18790 + at,
    /** examples/static-site again, sending to the proxy instead: the chaos tests' pages. */
    chaosSite: 18081 + at,
    /** The fault proxy of the cross-engine suite (e2e/engines/), whose sites take ports the OS picks. */
    engineProxy: 18792 + at,
    /** The dashboard spec's static sites, one per backend (+0, +1, +2). */
    dashboardSites: 18300 + at,
    /** examples/next under `next start` (e2e/next.spec.ts builds it), sending to the receiver. */
    next: 18083 + at,
    /** The Vue and SvelteKit recipe apps (e2e/frameworks.spec.ts), sending to the receiver. */
    vue: 18084 + at,
    svelte: 18085 + at,
  } as const;
}

/** This worker's ports (Playwright sets TEST_PARALLEL_INDEX in each worker before it loads the config or a spec). */
export const PORTS = portsFor(Number(process.env.TEST_PARALLEL_INDEX ?? 0));

/** The origins of a worker's framework apps, which its receiver allows beside the site's. */
export const appOrigins = (ports: ReturnType<typeof portsFor>) =>
  [ports.next, ports.vue, ports.svelte].map((port) => `http://127.0.0.1:${port}`);

export const RECEIVER_URL = `http://127.0.0.1:${PORTS.receiver}`;
export const SITE_URL = `http://127.0.0.1:${PORTS.site}`;
export const PROXY_URL = `http://127.0.0.1:${PORTS.proxy}`;
export const CHAOS_SITE_URL = `http://127.0.0.1:${PORTS.chaosSite}`;
