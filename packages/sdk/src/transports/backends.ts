import type { Transport } from '../transport.js';
import { type FetchTransportOptions, fetchTransport } from './fetch.js';

/** Options of the backend adapters: where the backend runs and the site's public write key. */
export interface BackendOptions extends Omit<FetchTransportOptions, 'url'> {
  /** Base URL of the backend, e.g. `https://collect.example.com`. */
  endpoint: string;
  /** The site's public write key (safe in pages: it can only write). */
  key: string;
}

// The key rides in the query string so requests stay CORS-simple and sendBeacon can carry it.
function backend(path: string, { endpoint, key, ...rest }: BackendOptions): Transport {
  return fetchTransport({ ...rest, url: `${endpoint.replace(/\/+$/, '')}${path}?key=${encodeURIComponent(key)}` });
}

/** Sends to Trailmark's reference receiver (`POST /v1/batch`). */
export const referenceReceiver = (options: BackendOptions): Transport => backend('/v1/batch', options);

/** Sends to the Postgres ingest server (`POST /v1/batch`). */
export const postgresIngest = (options: BackendOptions): Transport => backend('/v1/batch', options);

/** Sends to the Cloudflare Worker with D1 (`POST /track/batch`). */
export const d1Worker = (options: BackendOptions): Transport => backend('/track/batch', options);
