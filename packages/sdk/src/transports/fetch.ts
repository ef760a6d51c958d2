import { classifyResponse } from '../retry.js';
import type { Transport } from '../transport.js';

/** Options of `fetchTransport()`. */
export interface FetchTransportOptions {
  url: string;
  /**
   * `text/plain` (default) is a CORS-simple request: no preflight, and the server still reads JSON.
   * Extra `headers` make the request non-simple.
   */
  contentType?: 'text/plain' | 'application/json';
  headers?: Record<string, string>;
  /**
   * Bytes of keepalive requests allowed in flight at once. Browsers allow 64 KiB in all per page;
   * over this budget a request goes without keepalive (or, when unloading, by `sendBeacon`).
   */
  keepaliveBudget?: number;
  fetch?: typeof fetch;
  /** `navigator.sendBeacon`, used at unload when keepalive has no budget left. */
  sendBeacon?: ((url: string, data: BodyInit) => boolean) | undefined;
}

/**
 * A transport over `fetch`. Every request uses `keepalive` while within the shared budget, so a batch
 * in flight survives the page closing; the answer goes through the one retry table (`classifyResponse`).
 */
export function fetchTransport(options: FetchTransportOptions): Transport {
  const {
    url,
    contentType = 'text/plain',
    keepaliveBudget = 60 * 1024,
    fetch: doFetch = (input, init) => fetch(input, init),
    sendBeacon = (url, data) => navigator.sendBeacon(url, data),
  } = options;
  let inFlight = 0;
  const post = (body: BodyInit, keepalive: boolean, signal: AbortSignal | undefined) =>
    doFetch(url, {
      method: 'POST',
      body,
      keepalive,
      credentials: 'omit',
      headers: { 'content-type': contentType, ...options.headers },
      ...(signal ? { signal } : {}),
    });
  return {
    async send({ body, bytes }, { unloading, signal }) {
      const keepalive = inFlight + bytes <= keepaliveBudget;
      if (unloading && !keepalive && sendBeacon) {
        return sendBeacon(url, new Blob([body], { type: contentType }))
          ? { status: 'unknown' }
          : { status: 'retry', reason: 'beacon refused' };
      }
      if (keepalive) inFlight += bytes;
      try {
        const response = await post(body, keepalive, signal);
        return classifyResponse(response.status, response.headers.get('retry-after'), await response.text());
      } catch (error) {
        // As the page unloads, Chromium rejects a keepalive fetch ("Failed to fetch") that the browser still
        // delivers: no answer was seen, which is not a failure (a repeat now would be a copy on the wire). So is one
        // sent just before: its rejection comes a task before `pagehide` (issue 23's reload loop).
        return unloading ? { status: 'unknown' } : { status: 'retry', reason: String(error), unanswered: true };
      } finally {
        if (keepalive) inFlight -= bytes;
      }
    },
    async confirm(ids, { signal }) {
      try {
        const response = await post(`{"v":1,"check":${JSON.stringify(ids)}}`, false, signal);
        const { stored } = (await response.json()) as { stored?: unknown };
        // Ids the queue does not hold (or that are not strings) settle nothing.
        return response.ok && Array.isArray(stored) ? stored : undefined;
      } catch {
        // No answer, or not one a server that knows the check would give: every event is sent again.
        return undefined;
      }
    },
  };
}
