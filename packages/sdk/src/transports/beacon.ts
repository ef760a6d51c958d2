import type { Transport } from '../transport.js';

/** Options of `beaconTransport()`. */
export interface BeaconTransportOptions {
  url: string;
  sendBeacon?: (url: string, data: BodyInit) => boolean;
}

/**
 * A transport over `navigator.sendBeacon`. It cannot see the server's answer (429, 5xx), so events it hands
 * off stay queued until a later send is acknowledged; backends dedupe by `event_id`. Use it for unload only,
 * or where fetch is unavailable.
 */
export function beaconTransport(options: BeaconTransportOptions): Transport {
  // Looked up when sending, not here: creating the transport in Node or during server rendering must not throw.
  const { url, sendBeacon = (to, data) => navigator.sendBeacon(to, data) } = options;
  return {
    send: async (payload) =>
      sendBeacon(url, new Blob([payload.body], { type: 'text/plain' }))
        ? { status: 'unknown' }
        : { status: 'retry', reason: 'beacon refused' },
  };
}
