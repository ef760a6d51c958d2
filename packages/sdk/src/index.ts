export type {
  Batch,
  EventType,
  PageContext,
  Props,
  PropValue,
  SplitReason,
  TrailmarkEvent,
} from '@trailmark/protocol';
export * from './capture/index.js';
export type { ConsentState } from './consent.js';
export type { KeyValue, Persistence } from './kv.js';
export { cookieStorage } from './kv.js';
export type { Plugin, TrackerApi } from './plugin.js';
export type { IndexedDbQueueOptions } from './queue/indexeddb-queue.js';
export { indexedDbQueue } from './queue/indexeddb-queue.js';
export { memoryQueue } from './queue/memory-queue.js';
export type { DropReason } from './queue/queue.js';
export type { QueueEntry, QueueStore } from './queue/store.js';
export { backoffMs, classifyResponse, retryAfterMs } from './retry.js';
export { noopTracker } from './ssr.js';
export type { Tracker, TrackerOptions } from './tracker.js';
export { createTracker } from './tracker.js';
export type { EventRejection, Payload, SendOptions, Transport, TransportResult } from './transport.js';
export type { BackendOptions } from './transports/backends.js';
export { d1Worker, postgresIngest, referenceReceiver } from './transports/backends.js';
export type { BeaconTransportOptions } from './transports/beacon.js';
export { beaconTransport } from './transports/beacon.js';
export type { FetchTransportOptions } from './transports/fetch.js';
export { fetchTransport } from './transports/fetch.js';
export type { UrlRule, UrlRulesOptions } from './url-rules.js';
export { CLICK_IDS, urlRules } from './url-rules.js';
