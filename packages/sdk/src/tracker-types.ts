import type { Props, TrailmarkEvent } from '@trailmark/protocol';
import type { ConsentState } from './consent.js';
import type { KeyValue, Persistence } from './kv.js';
import type { Plugin, TrackerApi } from './plugin.js';
import type { DropReason } from './queue/queue.js';
import type { QueueStore } from './queue/store.js';
import type { Transport } from './transport.js';
import type { UrlRule } from './url-rules.js';

/** Options of `createTracker()`. Only `siteId` and `transport` are required. */
export interface TrackerOptions {
  siteId: string;
  transport: Transport;
  /** Where events wait: `indexedDbQueue()` to survive reloads; default `memoryQueue()`. */
  queue?: QueueStore;
  plugins?: Plugin[];
  /** Send when this many events wait (default 20)… */
  batchSize?: number;
  /** …or when this many bytes of events wait (default 60 KiB, what one keepalive request may carry). */
  batchBytes?: number;
  /** Send this long (ms) after an event arrives, at the latest (default 2000). */
  flushInterval?: number;
  /**
   * Largest request body. While the page hides, at most 60 KiB (the keepalive and sendBeacon budget); at other
   * times batches default to 256 KiB (within the backends' 512 KiB), as each request costs the page a fixed price.
   */
  maxBatchBytes?: number;
  /**
   * Queue caps (defaults 1000 events and 2 MiB): they bound what is stored while events cannot be sent (offline,
   * backoff, consent pending); past them, low-priority events (vitals, visibility) are evicted first. A burst past
   * them while sending works is held in memory and sent, not evicted.
   */
  maxQueueEvents?: number;
  maxQueueBytes?: number;
  /** Events still unsent after this long (ms) are given up (default 3 days). */
  maxEventAge?: number;
  /**
   * A request's deadline (ms, default 10 s): a request with no answer by then is aborted and its events are tried
   * again, so one unanswered request never stalls the origin's tabs. Also how long the SDK waits before asking the
   * server about events handed to the browser at page hide.
   */
  requestTimeout?: number;
  /** Starting consent (default `granted`). */
  consent?: ConsentState;
  /** Honour Global Privacy Control (default true). */
  respectGPC?: boolean;
  /** Honour Do-Not-Track (default false). */
  respectDNT?: boolean;
  /**
   * Where the visitor id, session and super properties live: `localStorage` (default), `memory` (cookieless: nothing
   * outlives the page), `consent` (cookieless until `consent('granted')` is called, then localStorage), or a
   * `KeyValue` such as `cookieStorage()`.
   */
  persistence?: Persistence | KeyValue;
  /**
   * Changes or drops an event before it is queued: return the event (changed or not), or `null` to drop it (counted as
   * `before_send`). If it throws, the event is sent unchanged and the error reported.
   */
  beforeSend?: (event: TrailmarkEvent) => TrailmarkEvent | null;
  /**
   * Rewrites each page URL events carry, or returns `undefined` to track nothing on that page: `urlRules()` excludes
   * paths by glob and keeps or strips query parameters. Campaign (UTM) fields are read before it runs.
   */
  pageUrl?: UrlRule;
  /**
   * Tracks this share of visitors (0–1, default 1): decided by a hash of the visitor id, so a visitor is in or out on
   * every page; a visitor out of the sample sends nothing (not counted as dropped).
   */
  sampleRate?: number;
  /** Inactivity that ends a session (ms, default 30 min). */
  sessionTimeout?: number;
  /** Send an `sdk_dropped` event with the counts of dropped events (each reason is also warned once in the console). */
  reportDrops?: boolean;
  debug?: boolean;
  /** Called once per distinct failure; the SDK never throws into the page. */
  onError?: (error: Error, where: string) => void;
  /** The page's window (tests pass their own). */
  window?: Window & typeof globalThis;
  now?: () => number;
  random?: () => number;
}

/** The tracker: what `createTracker()` returns. */
export interface Tracker extends TrackerApi {
  /** Sends everything queued now (ignoring backoff); resolves when done or deferred. */
  flush(): Promise<void>;
  /** Sets consent: `granted` persists and sends, `pending` holds events in memory, `denied` drops and clears. */
  consent(state: ConsentState): void;
  /**
   * Sets (or with no argument clears) the `user_id` of later events; with `traits`, also sends an `identify` event
   * whose props are the traits (checked and redacted like any props).
   */
  identify(userId?: string, traits?: Props): void;
  /**
   * Logout: later events get a new visitor id and session, no `user_id` and no super properties; events tracked
   * before are still delivered under the old identity.
   */
  reset(): void;
  /** Adds properties to every later event (event props win over them); kept where the visitor id is kept. */
  register(props: Props): void;
  /** Removes one registered property. */
  unregister(key: string): void;
  /** Counts of dropped events by reason. */
  dropped(): Partial<Record<DropReason, number>>;
  /** Adds a plugin; returns its teardown. */
  use(plugin: Plugin): () => void;
  /** Removes every listener and plugin and sends what is queued. */
  shutdown(): Promise<void>;
  readonly visitorId: string;
  readonly sessionId: string;
}
