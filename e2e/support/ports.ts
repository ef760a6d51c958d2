/**
 * Where the e2e harness serves everything (all on 127.0.0.1). Ports of their own, not the demo's 8787/8080, so a
 * `npm start` left running is never reused, reset or wiped by a test run.
 */
/** `E2E_PORT_OFFSET` moves them all, so two checkouts on one machine can run their browser tests at once. */
const offset = Number(process.env.E2E_PORT_OFFSET ?? 0);

export const PORTS = {
  /** The recorder of the SDK's own browser tests (e2e/support/recorder.mjs). */
  recorder: 4310 + offset,
  /** The reference receiver: `scripts/demo.mjs --receiver-only --memory` (dev mode, so /_trailmark/* exists). */
  receiver: 18787 + offset,
  /** examples/static-site with the built script tag, sending straight to the receiver. */
  site: 18080 + offset,
  /** The fault-injecting proxy the chaos tests start in front of the receiver (e2e/support/fault-proxy.ts). */
  proxy: 18790 + offset,
  /** examples/static-site again, sending to the proxy instead: the chaos tests' pages. */
  chaosSite: 18081 + offset,
  /** The fault proxy of the cross-engine suite (e2e/engines/), whose sites take ports the OS picks. */
  engineProxy: 18792 + offset,
  /** examples/next under `next start` (e2e/next.spec.ts builds it), sending to the receiver. */
  next: 18083 + offset,
  /** The Vue and SvelteKit recipe apps (e2e/frameworks.spec.ts), sending to the receiver. */
  vue: 18084 + offset,
  svelte: 18085 + offset,
} as const;

/** The origins of the framework apps, which the receiver allows beside the site's. */
export const APP_ORIGINS = [PORTS.next, PORTS.vue, PORTS.svelte].map((port) => `http://127.0.0.1:${port}`);

export const RECEIVER_URL = `http://127.0.0.1:${PORTS.receiver}`;
export const SITE_URL = `http://127.0.0.1:${PORTS.site}`;
export const PROXY_URL = `http://127.0.0.1:${PORTS.proxy}`;
export const CHAOS_SITE_URL = `http://127.0.0.1:${PORTS.chaosSite}`;
