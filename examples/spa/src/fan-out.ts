import type { Transport } from 'trailmark';

/**
 * Sends every batch to a primary backend and a mirror at once (docs/transports.md, "Writing your own").
 * The primary's answer decides what the SDK does (keep, retry, drop); the mirror is best effort, and it
 * stores by `event_id`, so the primary's retries never count twice there either.
 */
export function fanOut(primary: Transport, mirror: Transport): Transport {
  return {
    async send(payload, options) {
      const [answer] = await Promise.all([primary.send(payload, options), mirror.send(payload, options)]);
      return answer;
    },
  };
}
