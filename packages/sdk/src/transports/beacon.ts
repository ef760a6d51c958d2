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
  const { url, sendBeacon = navigator.sendBeacon.bind(navigator) } = options;
  return {
    send: async (payload) =>
      sendBeacon(url, new Blob([payload.body], { type: 'text/plain' }))
        ? { status: 'unknown' }
        : { status: 'retry', reason: 'beacon refused' },
  };
}
