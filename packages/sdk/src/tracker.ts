import { EVENT_TYPE_PATTERN, MAX_BATCH_BYTES, type Props, type TrailmarkEvent } from '@trailmark/protocol';
import { CONSENT_KEY, type ConsentState, initialConsent } from './consent.js';
import { debugLog } from './debug.js';
import { createDelivery } from './delivery.js';
import { createIdentity, VISITOR_KEY } from './identity.js';
import { type KeyValue, memoryKV, type Persistence, storageKV } from './kv.js';
import type { Plugin, TrackerApi } from './plugin.js';
import { memoryQueue } from './queue/memory-queue.js';
import { createQueue, type DropReason } from './queue/queue.js';
import type { QueueStore } from './queue/store.js';
import { revenueProblem } from './revenue.js';
import { inSample } from './sampling.js';
import { createScheduler } from './scheduler.js';
import { createSerialiser, type PreparedEvent } from './serialise.js';
import { liveTrackers, noopTracker } from './ssr.js';
import { createSuperProps } from './super-props.js';
import type { Transport } from './transport.js';
import type { UrlRule } from './url-rules.js';
import { uuidv7Factory } from './uuid.js';

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

const LOW_PRIORITY = /^(web_vital|page_visibility|heartbeat|scroll_depth|text_copy|sdk_dropped)$/;
/** A backoff shorter than this still counts as able to send: a burst is held for it rather than evicted. */
const SHORT_BACKOFF_MS = 5000;

/**
 * Creates a tracker. Nothing is sent or stored until events are tracked (and consent allows it).
 * An event's way: `track()` prepares it (serialise.ts) into the buffer; the buffer is serialised into the queue
 * (queue/queue.ts) off the hot path; the scheduler (scheduler.ts) decides when the delivery loop (delivery.ts) hands
 * batches to the transport.
 */
export function createTracker(options: TrackerOptions): Tracker {
  const win = options.window ?? (typeof window === 'object' ? window : undefined);
  // Server rendering, Node: a tracker that does nothing. A second tracker for a site already tracked on this page
  // (React StrictMode, hot reload) would count everything twice: the first one is returned instead.
  const live = win && liveTrackers(win);
  if (!live) return noopTracker(options.siteId);
  const running = live[options.siteId];
  if (running) return running;
  const doc = win.document;
  const now = options.now ?? Date.now;
  const { siteId, reportDrops } = options;
  const debug = options.debug;
  const maxHeld = options.maxQueueEvents ?? 1000;

  const reported = new Set<string>();
  const reportError = (error: unknown, where: string) => {
    const err = error instanceof Error ? error : Error(String(error));
    const key = `${where}:${err.message}`;
    if (!reported.has(key) && reported.size < 100) {
      reported.add(key);
      debugLog(!!debug, where, err);
      try {
        options.onError?.(err, where);
      } catch {
        // The host's own hook failed; there is nowhere left to report it.
      }
    }
  };
  /** Runs `fn`, reporting (never throwing) what it throws. */
  const guard = (fn: () => unknown, where: string) => {
    try {
      fn();
    } catch (error) {
      reportError(error, where);
    }
  };

  const drops: Partial<Record<DropReason, number>> = {};
  const warned = new Set<string>();
  let unreported: Props = {};
  const onDrop = (reason: DropReason, count: number, detail = '') => {
    const why = detail ? `${reason} ${detail}` : reason;
    if (!warned.has(why)) {
      // Never silent, in every build: once per reason (and props limit), in the console and to `onError`.
      warned.add(why);
      console.warn('[trailmark] events dropped:', why);
      reportError(Error(`events dropped: ${why}`), 'drop');
    }
    drops[reason] = (drops[reason] ?? 0) + count;
    unreported[reason] = ((unreported[reason] as number) ?? 0) + count;
  };

  const persistence = options.persistence;
  let kv = typeof persistence === 'object' ? persistence : undefined;
  if (!kv && persistence !== 'memory') {
    // Sandboxed frames and some private modes throw on merely reading `localStorage`.
    guard(() => {
      kv = storageKV(win.localStorage);
    }, 'storage');
  }

  const uuidv7 = uuidv7Factory();
  const gate = initialConsent(options, win.navigator);
  let consent = gate.state;
  // A denial given on an earlier page (or in another tab) stands until consent is given again.
  guard(() => {
    if (kv?.get(CONSENT_KEY) === 'denied') consent = 'denied';
  }, 'storage');
  const granted = () => consent === 'granted';
  /** `consent` persistence: nothing is written until `consent('granted')` is called. */
  let asked = persistence !== 'consent';
  const writable = () => asked && granted();
  const identity = createIdentity({
    _kv: kv ?? memoryKV(),
    _writable: writable(),
    _timeoutMs: options.sessionTimeout ?? 30 * 60_000,
    _newId: () => uuidv7(now()),
    _onError: reportError,
  });

  const store = options.queue ?? memoryQueue();
  const queue = createQueue({
    _store: store,
    _maxEvents: maxHeld,
    _maxBytes: options.maxQueueBytes ?? 2 * 1024 * 1024,
    _canSend: () => granted() && win.navigator.onLine !== false && delivery._notBefore < now() + SHORT_BACKOFF_MS,
    _onDrop: onDrop,
    _onError: reportError,
  });
  const delivery = createDelivery({
    _queue: queue,
    _transport: options.transport,
    _lock: store.lock?.(siteId) ?? { run: (fn) => fn() },
    _sdk: `trailmark/${__SDK_VERSION__}`,
    _maxBatchEvents: 500,
    _maxBatchBytes: options.maxBatchBytes ?? 256 * 1024,
    _maxUnloadBytes: Math.min(options.maxBatchBytes ?? MAX_BATCH_BYTES, MAX_BATCH_BYTES),
    _maxEventAgeMs: options.maxEventAge ?? 3 * 24 * 3600_000,
    _timeoutMs: options.requestTimeout ?? 10_000,
    _now: now,
    _random: options.random ?? Math.random,
    _onDrop: onDrop,
    _onError: reportError,
  });

  const supers = createSuperProps({ _kv: kv ?? memoryKV(), _writable: writable, _onError: reportError });
  let userId: string | undefined;
  const prepare = createSerialiser({
    _siteId: siteId,
    _window: win,
    _identity: identity,
    _newId: uuidv7,
    _now: now,
    _userId: () => userId,
    _onDrop: onDrop,
    _onError: reportError,
    _pageUrl: options.pageUrl,
  });
  const rate = options.sampleRate ?? 1;
  /** The visitor the sample was last decided for, and whether it is in: decided again after `reset()`. */
  let sampled = ['', true] as [string, boolean];
  /**
   * Events tracked and not yet serialised (the work is deferred off `track()`), and while consent is pending, held
   * here in memory only: bounded like the queue, oldest first out.
   */
  let buffer: PreparedEvent[] = [];
  let processing = false;
  const listeners = new Set<(event: TrailmarkEvent) => void>();
  /** The eviction priority of each valid event type seen: two regular expressions once per type, not per event. */
  const priorities = new Map<string, number>();
  const teardowns: Array<() => void> = [];

  /**
   * Deferred work: serialise the buffered events into the queue (one store write per tick), then maybe send. From a
   * timer, at most `max` a task, so a burst of thousands is no long task for the page; everything at once otherwise
   * (page hide, `flush()`, consent).
   */
  const process = (max = buffer.length) => {
    processing = false;
    if (granted() && buffer[0]) {
      const entries = [];
      for (const prepared of buffer.splice(0, max)) {
        const entry = prepared._entry();
        if (entry) entries.push(entry);
      }
      queue._add(entries);
      scheduler._queued();
      if (buffer[0]) defer();
    }
  };
  const defer = () => {
    processing = true;
    setTimeout(() => guard(() => process(2000), 'track'));
  };

  /** Serialises what is buffered and hands what storage may not finish writing to the store's synchronous spill. */
  const writeThrough = () => {
    process();
    queue._spill();
  };

  const scheduler = createScheduler({
    _delivery: delivery,
    _queue: queue,
    _now: now,
    _flushInterval: options.flushInterval ?? 2000,
    _batchSize: options.batchSize ?? 20,
    _batchBytes: options.batchBytes ?? MAX_BATCH_BYTES,
    _active: granted,
    _serialise: process,
    _beforeSend() {
      if (reportDrops && Object.keys(unreported)[0]) {
        const counts = unreported;
        unreported = {};
        api.track('sdk_dropped', counts);
        process();
      }
    },
    _onError: reportError,
  });

  /** Consent denied: drops what waits, forgets the ids and clears the queue, stored or not. */
  const forget = () => {
    if (buffer[0]) onDrop('consent_denied', buffer.length);
    buffer = [];
    identity._forget();
    supers._clear();
    scheduler._disarm();
    queue._clear().catch((error: unknown) => reportError(error, 'consent'));
  };

  /**
   * The tracker's page-lifecycle listeners. They are added again after each plugin's setup so that they always run
   * last: a plugin's own `pagehide` handler (time on page, final scroll depth) then tracks its events before the
   * tracker hands the unload batch to the browser, and they leave in that one request.
   */
  const onPage = (event: Event) =>
    guard(() => {
      const { type } = event;
      if (type === 'storage') {
        // Another tab of the site decided consent, or reset (logout) or forgot the visitor: this tab follows.
        const { key, newValue } = event as StorageEvent;
        if (key === CONSENT_KEY && newValue && newValue !== consent) api.consent(newValue as ConsentState);
        else if (key === VISITOR_KEY && !newValue) api.reset();
        return;
      }
      const visible = doc.visibilityState !== 'hidden';
      if (type === 'online') scheduler._tick(true);
      else if (type === 'pagehide') scheduler._pagehide(visible);
      else if (type === 'pageshow' || visible) scheduler._show();
      else scheduler._hide();
    }, event.type);
  const listen = (add: boolean) => {
    for (const type of ['visibilitychange', 'pagehide', 'pageshow', 'online', 'storage'])
      (type[0] === 'v' ? doc : win)[add ? 'addEventListener' : 'removeEventListener'](type, onPage);
  };

  const api: Tracker = {
    siteId,
    track(type, props, override) {
      try {
        if (consent === 'denied') return onDrop('consent_denied', 1);
        let priority = priorities.get(type);
        if (priority === undefined) {
          if (!EVENT_TYPE_PATTERN.test(type)) throw Error(__DEBUG_BUILD__ ? `invalid event type "${String(type).slice(0, 80)}"` : 'type');
          priority = LOW_PRIORITY.test(type) ? 0 : type === 'click' ? 1 : 2;
          priorities.set(type, priority);
        }
        const visitor = identity._visitorId;
        if (rate < 1 && sampled[0] !== visitor) sampled = [visitor, inSample(visitor, rate)];
        if (!sampled[1]) return;
        const own = supers._props;
        let all = own ? { ...own, ...props } : props;
        const badRevenue = revenueProblem(all);
        if (badRevenue) {
          // The event is kept, without the revenue the reports could not read.
          const { revenue: _, ...rest } = all!;
          all = rest;
          onDrop('invalid_revenue', 1, badRevenue);
        }
        const prepared = prepare(type, priority, all, override);
        if (!prepared) return;
        if (options.beforeSend) {
          let kept: TrailmarkEvent | null = prepared._event();
          try {
            kept = options.beforeSend(kept);
          } catch (error) {
            reportError(error, 'beforeSend');
          }
          if (!kept) return onDrop('before_send', 1);
          prepared._replace(kept);
        }
        if (listeners.size) {
          const full = prepared._event();
          // A listener's failure is its own: the event is still sent.
          for (const listener of listeners) guard(() => listener(full), 'listener');
        }
        // Only what waits for consent is bounded here (memory only); a burst that can be sent goes to the queue.
        if (buffer.push(prepared) > maxHeld && !granted()) {
          buffer.shift();
          onDrop('queue_full', 1);
        }
        if (granted() && !processing) {
          // Tracked while the page hides (a plugin's last event): it leaves with the unload batch. Tracked between
          // pagehide and the visibilitychange that follows: written through now, sent with the batch then.
          // Tracked in a hidden tab that lives on (Firefox and WebKit hide background tabs): stored at once (and
          // spilled, should the tab be closed first), then sent under the flush lock like any other.
          if (scheduler._hiding || scheduler._unloading)
            queueMicrotask(() => guard(scheduler._hiding && scheduler._unloading ? scheduler._hide : writeThrough, 'unload'));
          else return defer();
          processing = true;
        }
      } catch (error) {
        onDrop('invalid', 1);
        reportError(error, 'track');
      }
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    reportError,
    async flush() {
      guard(process, 'flush');
      await scheduler._tick(true);
    },
    consent(state) {
      if (gate.locked && state !== 'denied') return debugLog(!!debug, 'consent ignored: the browser signals an opt-out (GPC/DNT)');
      consent = state;
      asked = true;
      // Kept even where ids are not (`consent` persistence): a word, no identifier.
      guard(() => kv?.set(CONSENT_KEY, state), 'storage');
      if (state === 'denied') forget();
      else {
        // Pending again: ids stay where they are, and nothing more is written until consent returns.
        identity._persist(writable());
        supers._save();
        if (granted()) {
          process();
          scheduler._arm(0);
        } else scheduler._disarm();
      }
    },
    identify(id, traits) {
      userId = id ? String(id).slice(0, 128) : undefined;
      // Traits are an event's props: checked against the protocol's limits and redacted like every other string.
      if (userId && traits) api.track('identify', traits);
    },
    reset() {
      // Events tracked so far hold their ids already (serialise.ts keeps each one's context): they leave unchanged.
      userId = undefined;
      supers._clear();
      identity._forget(true);
    },
    register(props) {
      guard(() => supers._register(props), 'register');
    },
    unregister(key) {
      supers._unregister(key);
    },
    dropped: () => ({ ...drops }),
    use(plugin) {
      let teardown: (() => void) | undefined;
      guard(() => {
        teardown = plugin.setup(api);
      }, `plugin ${plugin.name}`);
      listen(false);
      listen(true);
      teardown ??= () => undefined;
      teardowns.push(teardown);
      return teardown;
    },
    async shutdown() {
      for (const teardown of teardowns.splice(0).reverse()) guard(teardown, 'shutdown');
      listen(false);
      listeners.clear();
      await api.flush();
      scheduler._disarm();
      if (live[siteId] === api) delete live[siteId];
    },
    get visitorId() {
      return identity._visitorId;
    },
    get sessionId() {
      return identity._sessionId;
    },
  };

  live[siteId] = api;
  listen(true);
  for (const plugin of options.plugins ?? []) api.use(plugin);
  // Denied from the start (GPC, DNT, the option): what an earlier, consenting visit left on the device goes.
  if (consent === 'denied') forget();
  // Events an earlier page left in a persistent queue go out soon after start.
  scheduler._arm(queue._shared ? 1000 : (options.flushInterval ?? 2000));
  return api;
}
