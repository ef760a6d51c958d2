import {
  type Attribution,
  EVENT_TYPE_PATTERN,
  MAX_BATCH_BYTES,
  MAX_EVENT_BYTES,
  type PageContext,
  type Props,
  parseUtm,
  type TrailmarkEvent,
  utf8Length,
} from '@trailmark/protocol';
import { type ConsentState, initialConsent } from './consent.js';
import { readDevice } from './context.js';
import { debugLog } from './debug.js';
import { createDelivery } from './delivery.js';
import { createIdentity } from './identity.js';
import { type KeyValue, memoryKV, type Persistence, storageKV } from './kv.js';
import type { Plugin, TrackerApi } from './plugin.js';
import { memoryQueue } from './queue/memory-queue.js';
import { createQueue, type DropReason } from './queue/queue.js';
import type { QueueEntry, QueueStore } from './queue/store.js';
import type { Transport } from './transport.js';
import { uuidv7Factory } from './uuid.js';

/** Options of `createTracker()`. Only `siteId` and `transport` are required. */
export interface TrackerOptions {
  siteId: string;
  transport: Transport;
  /** Where events wait: `indexedDbQueue()` to survive reloads; default `memoryQueue()`. */
  queue?: QueueStore;
  plugins?: Plugin[];
  /** Send when this many events wait (default 20). */
  batchSize?: number;
  /** Send this long (ms) after an event arrives, at the latest (default 2000). */
  flushInterval?: number;
  /** Largest request body (default and maximum: 60 KiB, within the keepalive budget). */
  maxBatchBytes?: number;
  /** Queue caps: past them, low-priority events (vitals, visibility) are evicted first (defaults 1000 and 2 MiB). */
  maxQueueEvents?: number;
  maxQueueBytes?: number;
  /** Events still unsent after this long (ms) are given up (default 3 days). */
  maxEventAge?: number;
  /** Starting consent (default `granted`). */
  consent?: ConsentState;
  /** Honour Global Privacy Control (default true). */
  respectGPC?: boolean;
  /** Honour Do-Not-Track (default false). */
  respectDNT?: boolean;
  /**
   * Where the visitor id and session live: `localStorage` (default), `memory` (cookieless: nothing outlives
   * the page), or a `KeyValue` such as `cookieStorage()`.
   */
  persistence?: Persistence | KeyValue;
  /** Inactivity that ends a session (ms, default 30 min). */
  sessionTimeout?: number;
  /** Send an `sdk_dropped` event with the counts of dropped events. */
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
  /** Sets (or with no argument clears) the `user_id` of later events. */
  identify(userId?: string): void;
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

/** Creates a tracker. Nothing is sent or stored until events are tracked (and consent allows it). */
export function createTracker(options: TrackerOptions): Tracker {
  const win = options.window ?? window;
  const doc = win.document;
  const loc = win.location;
  const nav = win.navigator;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const debug = options.debug ?? false;
  const siteId = options.siteId;
  const batchSize = options.batchSize ?? 20;
  const flushInterval = options.flushInterval ?? 2000;
  const sdk = `trailmark/${__SDK_VERSION__}`;

  const reported = new Set<string>();
  const reportError = (error: unknown, where: string) => {
    const err = error instanceof Error ? error : new Error(String(error));
    const key = `${where}:${err.message}`;
    if (reported.has(key) || reported.size > 100) return;
    reported.add(key);
    debugLog(debug, where, err);
    try {
      options.onError?.(err, where);
    } catch {
      // The host's own hook failed; there is nowhere left to report it.
    }
  };

  const drops: Partial<Record<DropReason, number>> = {};
  const unreported: Partial<Record<DropReason, number>> = {};
  const onDrop = (reason: DropReason, count: number) => {
    drops[reason] = (drops[reason] ?? 0) + count;
    unreported[reason] = (unreported[reason] ?? 0) + count;
    debugLog(debug, 'dropped', count, reason);
  };

  const local = (): KeyValue | undefined => {
    try {
      return win.localStorage ? storageKV(win.localStorage) : undefined;
    } catch (error) {
      // Sandboxed frames and some private modes throw on merely reading `localStorage`.
      reportError(error, 'localStorage unavailable');
      return undefined;
    }
  };
  const persistence = options.persistence ?? 'localStorage';
  const kv = typeof persistence === 'object' ? persistence : persistence === 'memory' ? memoryKV() : (local() ?? memoryKV());

  const uuidv7 = uuidv7Factory();
  const gate = initialConsent(options, nav);
  let consent = gate.state;
  const identity = createIdentity({
    kv,
    writable: consent === 'granted',
    timeoutMs: options.sessionTimeout ?? 30 * 60_000,
    newId: () => uuidv7(now()),
    onError: reportError,
  });

  const store = options.queue ?? memoryQueue();
  const maxHeld = options.maxQueueEvents ?? 1000;
  const queue = createQueue({
    store,
    maxEvents: maxHeld,
    maxBytes: options.maxQueueBytes ?? 2 * 1024 * 1024,
    onDrop,
    onError: reportError,
  });
  const delivery = createDelivery({
    queue,
    transport: options.transport,
    lock: store.lock?.(siteId) ?? { run: (fn) => fn() },
    sdk,
    maxBatchEvents: 500,
    maxBatchBytes: Math.min(options.maxBatchBytes ?? MAX_BATCH_BYTES, MAX_BATCH_BYTES),
    maxEventAgeMs: options.maxEventAge ?? 3 * 24 * 3600_000,
    now,
    random,
    onDrop,
    onError: reportError,
  });

  const device = readDevice(win);
  const pageReferrer = doc.referrer;
  let userId: string | undefined;
  let utmHref = '';
  let utm: Attribution = {};
  let campaign = '';
  let path = '/';
  const origin = loc.origin;
  let buffer: TrailmarkEvent[] = [];
  let processing = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let hideQueued = false;
  /** Between page hide (or pagehide) and the page showing again: events leave at once. */
  let hiding = false;
  const listeners = new Set<(event: TrailmarkEvent) => void>();
  const teardowns: Array<() => void> = [];

  /** Deferred work: serialise the buffer into queue entries (one store write per tick), then maybe send. */
  const process = () => {
    processing = false;
    if (consent !== 'granted' || buffer.length === 0) return;
    const entries: QueueEntry[] = [];
    for (const event of buffer) {
      let body: string;
      try {
        if (!EVENT_TYPE_PATTERN.test(event.type)) throw new Error(`invalid event type "${String(event.type).slice(0, 80)}"`);
        body = JSON.stringify(event);
      } catch (error) {
        onDrop('invalid', 1);
        reportError(error, 'track');
        continue;
      }
      // Almost every event is ASCII: the exact UTF-8 count is needed only when it is not.
      const bytes = /[^ -~]/.test(body) ? utf8Length(body) : body.length;
      if (bytes > MAX_EVENT_BYTES) {
        onDrop('too_large', 1);
        reportError(new Error(`a ${event.type} event of ${bytes} bytes is over the ${MAX_EVENT_BYTES}-byte limit`), 'track');
        continue;
      }
      entries.push({
        id: event.event_id,
        body,
        bytes,
        priority: LOW_PRIORITY.test(event.type) ? 0 : event.type === 'click' ? 1 : 2,
        ts: event.ts,
      });
    }
    buffer = [];
    queue.add(entries);
    if (queue.waiting >= batchSize) void tick();
    else arm(flushInterval);
  };

  const arm = (delay: number) => {
    if (timer !== undefined || consent !== 'granted') return;
    timer = setTimeout(tick, Math.max(delay, delivery.notBefore - now()));
  };

  const tick = async (force = false) => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (consent !== 'granted') return;
    if (options.reportDrops && Object.keys(unreported).length > 0) {
      const counts = { ...unreported } as Props;
      for (const key of Object.keys(unreported)) delete unreported[key as DropReason];
      api.track('sdk_dropped', counts);
      process();
    }
    const drained = await delivery.flush(force);
    if (!drained || queue.waiting > 0) arm(flushInterval);
  };

  /** Page hidden or unloading: serialise now and hand everything to keepalive/beacon before the page may go. */
  const onHide = () => {
    hiding = true;
    hideQueued = false;
    try {
      process();
      if (consent === 'granted') delivery.flushUnloading();
    } catch (error) {
      reportError(error, 'unload');
    }
  };

  const listen = (target: EventTarget, type: string, handler: () => void) => {
    const wrapped = () => {
      try {
        handler();
      } catch (error) {
        reportError(error, type);
      }
    };
    // Bubble phase on purpose: at the target, capture listeners run first, and plugins' handlers must run before ours.
    target.addEventListener(type, wrapped);
    teardowns.push(() => target.removeEventListener(type, wrapped));
  };

  const api: Tracker = {
    siteId,
    track(type, props, context?: Partial<PageContext>) {
      try {
        if (consent === 'denied') return onDrop('consent_denied', 1);
        const ts = now();
        const href = loc.href;
        if (href !== utmHref) {
          utmHref = href;
          // Derived from href, once per URL: reading location.pathname costs as much as href itself.
          path = href.slice(origin.length).split(/[?#]/)[0] || '/';
          utm = href.includes('utm_') ? parseUtm(href) : {};
          campaign = utm.utm_source || utm.utm_medium || utm.utm_campaign ? `${utm.utm_source}|${utm.utm_medium}|${utm.utm_campaign}` : '';
        }
        const split = identity.touch(ts, href, pageReferrer, campaign);
        const event = {
          event_id: uuidv7(ts),
          type,
          ts,
          site_id: siteId,
          visitor_id: identity.visitorId,
          session_id: identity.sessionId,
          seq: identity.nextSeq(),
          url: href,
          path,
          title: doc.title,
          ...device,
          ...utm,
        } as TrailmarkEvent;
        if (pageReferrer) event.referrer = pageReferrer;
        if (split) event.split_reason = split;
        if (userId) event.user_id = userId;
        if (props) event.props = props;
        if (context) Object.assign(event, context);
        // Held in memory while consent is pending: bounded like the queue, oldest first out.
        if (buffer.push(event) > maxHeld) {
          buffer.shift();
          onDrop('queue_full', 1);
        }
        for (const listener of listeners) listener(event);
        if (consent !== 'granted') return;
        if (hiding) {
          // Tracked while the page hides (a plugin's last event): it leaves with the unload batch.
          if (!hideQueued) queueMicrotask(onHide);
          hideQueued = true;
        } else if (!processing) {
          processing = true;
          setTimeout(process, 0);
        }
      } catch (error) {
        reportError(error, 'track');
      }
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    reportError,
    async flush() {
      try {
        process();
        await tick(true);
      } catch (error) {
        reportError(error, 'flush');
      }
    },
    consent(state) {
      if (gate.locked && state !== 'denied') return debugLog(debug, 'consent ignored: the browser signals an opt-out (GPC/DNT)');
      consent = state;
      if (state === 'granted') {
        identity.persist();
        process();
        arm(0);
      } else if (state === 'denied') {
        onDrop('consent_denied', buffer.length);
        buffer = [];
        identity.forget();
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        queue.clear().catch((error: unknown) => reportError(error, 'consent'));
      }
    },
    identify(id) {
      userId = id ? String(id).slice(0, 128) : undefined;
    },
    dropped: () => ({ ...drops }),
    use(plugin) {
      try {
        const teardown = plugin.setup(api) ?? (() => undefined);
        teardowns.push(teardown);
        return teardown;
      } catch (error) {
        reportError(error, `plugin ${plugin.name}`);
        return () => undefined;
      }
    },
    async shutdown() {
      for (const teardown of teardowns.splice(0).reverse()) {
        try {
          teardown();
        } catch (error) {
          reportError(error, 'shutdown');
        }
      }
      listeners.clear();
      await api.flush();
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
    get visitorId() {
      return identity.visitorId;
    },
    get sessionId() {
      return identity.sessionId;
    },
  };

  // Plugins first, page lifecycle after: a plugin's own `pagehide` handler (time on page, max scroll)
  // then runs before the tracker hands the batch to the browser.
  for (const plugin of options.plugins ?? []) api.use(plugin);
  listen(doc, 'visibilitychange', () => {
    if (doc.visibilityState === 'hidden') onHide();
    else hiding = false;
  });
  listen(win, 'pagehide', onHide);
  listen(win, 'pageshow', () => {
    hiding = false;
  });
  listen(win, 'online', () => void tick(true));
  // Events an earlier page left in a persistent queue go out soon after start.
  arm(queue.shared ? 1000 : flushInterval);
  return api;
}
