import { MAX_DRAIN_BYTES } from '@trailmark/protocol';

/**
 * Bytes of a refused body read and thrown away so its connection stays usable; past this, it is cut off. The
 * protocol's bound, which the local front (`scripts/local.mjs`) also reads up to: at 1 MiB, a 1.1 MB body refused
 * with 413 left workerd resetting the connection, and a keep-alive client's next request failed.
 */
export const DRAIN_LIMIT = MAX_DRAIN_BYTES;

/**
 * Hands the handler a request whose body is one branch of a tee, and returns `drain()` to run after the answer.
 *
 * workerd resets a kept-alive connection whose request body was not read to its end, without saying so in the
 * answer (it drops a `Connection: close` header), so the client's *next* request on that connection fails with
 * ECONNRESET: a 401, 403, 413 or 415 given before reading the body broke an unrelated good request after it.
 * Found by the contract suite's hostile run (about 1 request in 200 under 8 concurrent clients). Cancelling the
 * handler's branch leaves the other one, which `drain()` reads to the end (up to `DRAIN_LIMIT`).
 */
export function spareBody(request: Request): { request: Request; drain(): Promise<void> } {
  if (!request.body) return { request, drain: async () => undefined };
  const [handled, spare] = request.body.tee();
  return {
    request: new Request(request, { body: handled }),
    async drain() {
      const reader = spare.getReader();
      let bytes = 0;
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          bytes += value.byteLength;
          if (bytes > DRAIN_LIMIT) {
            await reader.cancel();
            return;
          }
        }
      } catch {
        // The client went away mid-body: there is no connection left to keep.
      }
    },
  };
}
