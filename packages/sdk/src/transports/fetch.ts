import { classifyResponse } from '../retry.js';
import type { Payload, SendOptions, Transport, TransportResult } from '../transport.js';

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
    headers = {},
    keepaliveBudget = 60_000,
    fetch: doFetch = globalThis.fetch?.bind(globalThis),
    sendBeacon = typeof navigator !== 'undefined' && navigator.sendBeacon ? navigator.sendBeacon.bind(navigator) : undefined,
  } = options;
  let inFlight = 0;
  return {
    async send(payload: Payload, { unloading }: SendOptions): Promise<TransportResult> {
      const keepalive = inFlight + payload.bytes <= keepaliveBudget;
      if (unloading && !keepalive && sendBeacon) {
        return sendBeacon(url, new Blob([payload.body], { type: contentType }))
          ? { status: 'unknown' }
          : { status: 'retry', reason: 'beacon refused' };
      }
      if (keepalive) inFlight += payload.bytes;
      try {
        const response = await doFetch(url, {
          method: 'POST',
          body: payload.body,
          keepalive,
          credentials: 'omit',
          headers: { 'content-type': contentType, ...headers },
        });
        return classifyResponse(response.status, response.headers.get('retry-after'), await response.text().catch(() => ''));
      } catch (error) {
        return { status: 'retry', reason: `network: ${(error as Error)?.message ?? error}` };
      } finally {
        if (keepalive) inFlight -= payload.bytes;
      }
    },
  };
}
