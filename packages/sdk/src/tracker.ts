import {
  type Attribution,
  EVENT_TYPE_PATTERN,
  MAX_BATCH_BYTES,
  MAX_EVENT_BYTES,
  MAX_TITLE_LENGTH,
  MAX_URL_LENGTH,
  type Props,
  parseUtm,
  type TrailmarkEvent,
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
import { utf8Bytes as utf8 } from './utf8.js';
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

/**
 * Shortens the page's own text to what servers accept (a long search URL, a long title): one field over its limit
 * would otherwise get every event of the page refused.
 */
const clip = (event: TrailmarkEvent) => {
  event.url = event.url.slice(0, MAX_URL_LENGTH);
  event.path = event.path.slice(0, MAX_URL_LENGTH);
  event.title &&= event.title.slice(0, MAX_TITLE_LENGTH);
  event.referrer &&= event.referrer.slice(0, MAX_URL_LENGTH);
};

const LOW_PRIORITY = /^(web_vital|page_visibility|heartbeat|scroll_depth|text_copy|sdk_dropped)$/;

/** Creates a tracker. Nothing is sent or stored until events are tracked (and consent allows it). */
export function createTracker(options: TrackerOptions): Tracker {
  const win = options.window ?? window;
  const doc = win.document;
  const loc = win.location;
  const now = options.now ?? Date.now;
  const { siteId, reportDrops } = options;
  const debug = options.debug;
  const batchSize = options.batchSize ?? 20;
  const batchBytes = options.batchBytes ?? MAX_BATCH_BYTES;
  const flushInterval = options.flushInterval ?? 2000;
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
  let unreported: Props = {};
  const onDrop = (reason: DropReason, count: number) => {
    drops[reason] = (drops[reason] ?? 0) + count;
    unreported[reason] = ((unreported[reason] as number) ?? 0) + count;
    debugLog(!!debug, 'dropped', count, reason);
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
  const identity = createIdentity({
    _kv: kv ?? memoryKV(),
    _writable: consent === 'granted',
    _timeoutMs: options.sessionTimeout ?? 30 * 60_000,
    _newId: () => uuidv7(now()),
    _onError: reportError,
  });

  const store = options.queue ?? memoryQueue();
  const queue = createQueue({
    _store: store,
    _maxEvents: maxHeld,
    _maxBytes: options.maxQueueBytes ?? 2 * 1024 * 1024,
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
    _now: now,
    _random: options.random ?? Math.random,
    _onDrop: onDrop,
    _onError: reportError,
  });

  const device = readDevice(win);
  const referrer = doc.referrer;
  let userId: string | undefined;
  let lastHref = '';
  let utm: Attribution = {};
  let campaign = '';
  let path = '';
  /**
   * The page context every event repeats, as an object and as JSON (without its braces): serialised again only
   * when the page, title, visitor, session or user changes, so an event costs one short string concatenation.
   */
  let context = {} as TrailmarkEvent;
  let contextJson = '';
  let contextBytes = 0;
  /**
   * Events tracked and not yet serialised (the work is deferred off `track()`), and while consent is pending, held
   * here in memory only: bounded like the queue, oldest first out.
   */
  let buffer: Array<() => QueueEntry | undefined> = [];
  let processing = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let due = 0;
  /** Between page hide (or pagehide) and the page showing again: events leave at once. */
  let hiding = false;
  /**
   * Between pagehide and pageshow: only then does an event go by the unload path, which skips the flush lock. A tab
   * merely hidden (Firefox and WebKit hide background tabs) lives on, and sends under the lock like any other.
   */
  let unloading = false;
  const listeners = new Set<(event: TrailmarkEvent) => void>();
  /** The eviction priority of each valid event type seen: two regular expressions once per type, not per event. */
  const priorities = new Map<string, number>();
  const teardowns: Array<() => void> = [];

  /** Sets the timer to send in `delay` ms (or when the backoff ends), unless it is due sooner already. */
  const arm = (delay: number) => {
    const at = Math.max(now() + delay, delivery._notBefore);
    if (consent === 'granted' && !(timer && due <= at)) {
      clearTimeout(timer);
      due = at;
      timer = setTimeout(tick, at - now());
    }
  };
  const disarm = () => {
    clearTimeout(timer);
    timer = undefined;
  };

  const tick = async (force?: boolean) => {
    disarm();
    if (consent !== 'granted') return;
    if (reportDrops && Object.keys(unreported)[0]) {
      const counts = unreported;
      unreported = {};
      api.track('sdk_dropped', counts);
      process();
    }
    if (!(await delivery._flush(force)) || queue._waiting) arm(flushInterval);
  };

  /** Deferred work: serialise the buffered events into the queue (one store write per tick), then maybe send. */
  const process = () => {
    processing = false;
    if (consent === 'granted' && buffer[0]) {
      const entries: QueueEntry[] = [];
      for (const serialise of buffer) {
        const entry = serialise();
        if (entry) entries.push(entry);
      }
      buffer = [];
      queue._add(...entries);
      arm(!hiding && queue._waiting < batchSize && queue._bytes < batchBytes ? flushInterval : 0);
    }
  };

  /** Page hidden or unloading: serialise now and hand everything to keepalive/beacon before the page may go. */
  const onHide = () => {
    hiding = true;
    process();
    if (consent === 'granted') {
      // If the page lives on (a hidden tab) and a send failed, the timer takes the rest when the backoff ends.
      delivery._flushUnloading().then(
        (done) => done || arm(flushInterval),
        (error: unknown) => reportError(error, 'flush'),
      );
      queue._spill();
    }
  };

  /** An event tracked in a hidden tab that lives on. */
  const onHidden = () => {
    process();
    queue._spill();
  };

  /** Consent denied: drops what waits, forgets the ids and clears the queue, stored or not. */
  const forget = () => {
    if (buffer[0]) onDrop('consent_denied', buffer.length);
    buffer = [];
    identity._forget();
    disarm();
    queue._clear().catch((error: unknown) => reportError(error, 'consent'));
  };

  const listen = (target: EventTarget, type: string, handler: () => void) => {
    const wrapped = () => guard(handler, type);
    // Bubble phase on purpose: at the target, capture listeners run first, and plugins' handlers must run before ours.
    target.addEventListener(type, wrapped);
    teardowns.push(() => target.removeEventListener(type, wrapped));
  };

  const api: Tracker = {
    siteId,
    track(type, props, override) {
      /** Why the event is dropped if this throws: a bad type or props (cyclic, BigInt), or its size. */
      let reason: DropReason = 'invalid';
      try {
        if (consent === 'denied') return onDrop('consent_denied', 1);
        let priority = priorities.get(type);
        if (priority === undefined) {
          if (!EVENT_TYPE_PATTERN.test(type)) throw Error(__DEBUG_BUILD__ ? `invalid event type "${String(type).slice(0, 80)}"` : 'type');
          priority = LOW_PRIORITY.test(type) ? 0 : type === 'click' ? 1 : 2;
          priorities.set(type, priority);
        }
        const ts = now();
        const href = loc.href;
        if (href !== lastHref) {
          lastHref = href;
          // Derived from href, once per URL: reading location.pathname costs as much as href itself.
          path = href.slice(loc.origin.length).split(/[?#]/)[0] || '/';
          utm = href.includes('utm_') ? parseUtm(href) : {};
          campaign = utm.utm_source || utm.utm_medium || utm.utm_campaign ? `${utm.utm_source}|${utm.utm_medium}|${utm.utm_campaign}` : '';
        }
        const split = identity._touch(ts, href, referrer, campaign);
        const seq = identity._nextSeq();
        const title = doc.title;
        if (
          href !== context.url ||
          title !== context.title ||
          identity._sessionId !== context.session_id ||
          identity._visitorId !== context.visitor_id ||
          userId !== context.user_id
        ) {
          context = {
            site_id: siteId,
            visitor_id: identity._visitorId,
            session_id: identity._sessionId,
            url: href,
            path,
            title,
            ...device,
            ...utm,
          } as TrailmarkEvent;
          if (referrer) context.referrer = referrer;
          if (userId) context.user_id = userId;
          clip(context);
          contextJson = JSON.stringify(context).slice(1, -1);
          contextBytes = utf8(contextJson);
        }
        const id = uuidv7(ts);
        // The context as it is now: serialisation is deferred, and the page may change before it runs.
        const base = context;
        const event = () => {
          const full = { ...base, event_id: id, type, ts, seq, ...override } as TrailmarkEvent;
          if (override) clip(full);
          if (split) full.split_reason = split;
          if (props) full.props = props;
          return full;
        };
        if (listeners.size) {
          const full = event();
          // A listener's failure is its own: the event is still sent.
          for (const listener of listeners) guard(() => listener(full), 'listener');
        }
        const json = contextJson;
        const jsonBytes = contextBytes;
        if (
          buffer.push(() => {
            try {
              let body: string;
              let bytes: number;
              if (override) {
                body = JSON.stringify(event());
                bytes = utf8(body);
              } else {
                // Event types match EVENT_TYPE_PATTERN and split reasons are plain words: neither needs JSON escaping.
                const own = `{"event_id":"${id}","type":"${type}","ts":${ts},"seq":${seq}${split ? `,"split_reason":"${split}"` : ''},`;
                const tail = props ? `,"props":${JSON.stringify(props)}}` : '}';
                body = own + json + tail;
                bytes = own.length + jsonBytes + utf8(tail);
              }
              if (bytes > MAX_EVENT_BYTES) {
                reason = 'too_large';
                throw Error(__DEBUG_BUILD__ ? `a ${type} event of ${bytes} bytes is over the ${MAX_EVENT_BYTES}-byte limit` : 'size');
              }
              return { id, body, bytes, priority, ts };
            } catch (error) {
              onDrop(reason, 1);
              reportError(error, 'track');
            }
          }) > maxHeld
        ) {
          buffer.shift();
          onDrop('queue_full', 1);
        }
        if (consent === 'granted' && !processing) {
          processing = true;
          // Tracked while the page unloads (a plugin's last event): it leaves with the unload batch. Tracked in a
          // hidden tab: stored at once (and spilled, should the tab be closed first), then sent under the lock.
          if (hiding) queueMicrotask(() => guard(unloading ? onHide : onHidden, 'unload'));
          else setTimeout(process);
        }
      } catch (error) {
        onDrop(reason, 1);
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
      await tick(true);
    },
    consent(state) {
      if (gate.locked && state !== 'denied') return debugLog(!!debug, 'consent ignored: the browser signals an opt-out (GPC/DNT)');
      consent = state;
      if (state === 'denied') forget();
      else {
        // Pending again: ids stay where they are, and nothing more is written until consent returns.
        identity._persist(state === 'granted');
        if (state === 'granted') {
          process();
          arm(0);
        } else disarm();
      }
    },
    identify(id) {
      userId = id ? String(id).slice(0, 128) : undefined;
    },
    dropped: () => ({ ...drops }),
    use(plugin) {
      let teardown: (() => void) | undefined;
      guard(() => {
        teardown = plugin.setup(api);
      }, `plugin ${plugin.name}`);
      teardown ??= () => undefined;
      teardowns.push(teardown);
      return teardown;
    },
    async shutdown() {
      for (const teardown of teardowns.splice(0).reverse()) guard(teardown, 'shutdown');
      listeners.clear();
      await api.flush();
      disarm();
    },
    get visitorId() {
      return identity._visitorId;
    },
    get sessionId() {
      return identity._sessionId;
    },
  };

  // Plugins first, page lifecycle after: a plugin's own `pagehide` handler (time on page, max scroll)
  // then runs before the tracker hands the batch to the browser.
  for (const plugin of options.plugins ?? []) api.use(plugin);
  listen(doc, 'visibilitychange', () => {
    if (doc.visibilityState === 'hidden') onHide();
    else hiding = false;
  });
  listen(win, 'pagehide', () => {
    unloading = true;
    onHide();
  });
  listen(win, 'pageshow', () => {
    hiding = unloading = false;
  });
  listen(win, 'online', () => tick(true));
  // Denied from the start (GPC, DNT, the option): what an earlier, consenting visit left on the device goes.
  if (consent === 'denied') forget();
  // Events an earlier page left in a persistent queue go out soon after start.
  arm(queue._shared ? 1000 : flushInterval);
  return api;
}
