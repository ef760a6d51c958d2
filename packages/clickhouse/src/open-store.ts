import { openChdbStore } from './chdb-store.js';
import { openHttpStore } from './http-store.js';
import { openRemoteStore } from './remote-store.js';
import type { ChStore } from './store.js';

/** Where a node's ClickHouse is. */
export interface StoreLocation {
  /** A ClickHouse server over HTTP (`CLICKHOUSE_URL`). */
  clickhouseUrl?: string | undefined;
  /** A chDB that another process on this machine serves (`serveStore`). */
  storeUrl?: string | undefined;
  /** chDB's data directory in this process when neither is given (a temporary one when omitted). */
  dataDir?: string | undefined;
}

/** Opens the store a location names: a server, a served chDB, or chDB embedded here. */
export function openStore(location: StoreLocation): ChStore {
  if (location.clickhouseUrl) return openHttpStore(location.clickhouseUrl);
  if (location.storeUrl) return openRemoteStore(location.storeUrl);
  return openChdbStore(location.dataDir);
}
