import { EVENT_TYPE_PATTERN, type Props, type TrailmarkEvent } from '@trailmark/protocol';
import { type Buffer, createBuffer } from './buffer.js';
import { CONSENT_KEY, type ConsentState, initialConsent } from './consent.js';
import { debugLog } from './debug.js';
import { createIdentity, type Identity, VISITOR_KEY } from './identity.js';
import { whenIdle } from './idle.js';
import { type KeyValue, memoryKV, storageKV } from './kv.js';
import { createPipeline, type Pipeline } from './pipeline.js';
import type { Plugin } from './plugin.js';
import { createReporter, type Reporter } from './report.js';
import { revenueProblem } from './revenue.js';
import { inSample } from './sampling.js';
import { createSerialiser, type Serialiser } from './serialise.js';
import { liveTrackers, noopTracker } from './ssr.js';
import { createSuperProps, type SuperProps } from './super-props.js';
import type { Tracker, TrackerOptions } from './tracker-types.js';
import { uuidv7Factory } from './uuid.js';

export type { Tracker, TrackerOptions } from './tracker-types.js';

const LOW_PRIORITY = /^(web_vital|page_visibility|heartbeat|scroll_depth|text_copy|sdk_dropped)$/;

/**
 * Creates a tracker. Nothing is sent or stored until events are tracked (and consent allows it).
 * An event's way, in the order the parts are wired below: `track()` prepares it (serialise.ts) into the buffer
 * (buffer.ts); the buffer is serialised into the queue (queue/queue.ts) off the hot path; the scheduler
 * (scheduler.ts) decides when the delivery loop (delivery.ts) hands batches to the transport, which sends them.
 */
export function createTracker(options: TrackerOptions): Tracker {
  const win = options.window ?? (typeof window === 'object' ? window : undefined);
  // Server rendering, Node: a tracker that does nothing. A second tracker for a site already tracked on this page
  // (React StrictMode, hot reload) would count everything twice: the first one is returned instead.
  const live = win && liveTrackers(win);
  if (!live) return noopTracker(options.siteId);
  return live[options.siteId] ?? startTracker(options, win, live);
}

/** What the tracker's methods work with: its parts, and the state they share. */
interface Parts {
  _options: TrackerOptions;
  _reporter: Reporter;
  /** The ids, the super properties and the store they are kept in, loaded by `_load` (not at start: see there). */
  _identity: Identity;
  _supers: SuperProps;
  /** Where ids and the consent decision are kept (none with `persistence: 'memory'`). */
  _kv: KeyValue | undefined;
  /** Reads the stored state the first time it is needed: the ids, super properties and a remembered denial. */
  _load(): void;
  _serialiser: Serialiser;
  _buffer: Buffer;
  /** Queue, delivery and scheduler: built the first time this is called (not at start, see `createPipeline`). */
  _pipeline(): Pipeline;
  /** They once built, else `undefined`. */
  _pipes?: Pipeline;
  /** Consent now, whether it was ever set (`consent` persistence writes nothing before), and if a browser signal locks it. */
  _consent: { _state: ConsentState; _asked: boolean; _locked: boolean };
  /** The `user_id` of later events. */
  _user: { _id?: string | undefined };
}

function startTracker(options: TrackerOptions, win: Window & typeof globalThis, live: Record<string, Tracker | undefined>): Tracker {
  const now = options.now ?? Date.now;
  const { siteId } = options;
  const reporter = createReporter(!!options.debug, options.onError);
  const { _report: reportError, _drop: onDrop } = reporter;
  const gate = initialConsent(options, win.navigator);
  const consent = { _state: gate.state, _asked: options.persistence !== 'consent', _locked: gate.locked };
  /** Whether events may be stored and sent: the stored state is loaded first (a denial remembered there). */
  const granted = () => {
    parts._load();
    return consent._state === 'granted';
  };
  const uuidv7 = uuidv7Factory();
  const user: Parts['_user'] = {};

  // track → serialiser → buffer → (built when first needed) queue → delivery → transport, the scheduler deciding when.
  const serialiser = createSerialiser({
    _siteId: siteId,
    _window: win,
    _identity: () => {
      parts._load();
      return parts._identity;
    },
    _loaded: () => !!parts._identity,
    _props(props) {
      const own = parts._supers._props;
      let all = own ? ({ ...own, ...props } as Props) : props;
      const badRevenue = revenueProblem(all);
      if (badRevenue) {
        // The event is kept, without the revenue the reports could not read.
        const { revenue: _, ...rest } = all!;
        all = rest;
        onDrop('invalid_revenue', 1, badRevenue);
      }
      return all;
    },
    _newId: uuidv7,
    _now: now,
    _userId: () => user._id,
    _onDrop: onDrop,
    _onError: reportError,
    _pageUrl: options.pageUrl,
  });
  const buffer = createBuffer({
    _queue: () => pipeline()._queue,
    _window: win,
    _maxHeld: options.maxQueueEvents ?? 1000,
    _granted: granted,
    _queued: () => pipeline()._scheduler._queued(),
    _reporter: reporter,
  });
  const started = now();
  const pipeline = () =>
    (parts._pipes ??= createPipeline(options, win, reporter, buffer, granted, started, () => {
      const counts = options.reportDrops && reporter._unreported();
      if (counts) {
        api.track('sdk_dropped', counts);
        buffer._process();
      }
    }));

  const parts = {
    _options: options,
    _reporter: reporter,
    _serialiser: serialiser,
    _buffer: buffer,
    _pipeline: pipeline,
    _consent: consent,
    _user: user,
  } as Parts;
  const api = trackerApi(parts, win, uuidv7, () => {
    if (live[siteId] === api) delete live[siteId];
  });
  live[siteId] = api;
  for (const plugin of options.plugins ?? []) api.use(plugin);
  // The queue, delivery and scheduler are built in idle time at the latest (and not once shut down).
  whenIdle(win, () => reporter._guard(() => live[siteId] === api && pipeline(), 'flush'));
  return api;
}

/**
 * Makes `parts._load`: reads the stored ids, session, super properties and a remembered denial, the first time
 * anything needs them (the first serialisation, in idle time; a flush or page hide; an API call that changes them;
 * `track()` with `beforeSend`, `onEvent` listeners or sampling, which see or decide by the ids). The page's first
 * `localStorage` access, and a `storage` listener (which loads the storage area too), cost 3–80 ms in Chromium
 * on a fresh page: this keeps both off the page-load path. `forget` runs when consent is found denied.
 */
function storedState(
  parts: Parts,
  win: Window,
  newId: (ts: number) => string,
  forget: (late: boolean) => void,
  onStorage: (event: StorageEvent) => void,
) {
  const { _options: options, _reporter: reporter, _consent: consent } = parts;
  const { persistence } = options;
  const writable = () => consent._asked && consent._state === 'granted';
  return () => {
    if (parts._identity) return;
    let kv = typeof persistence === 'object' ? persistence : undefined;
    if (!kv && persistence !== 'memory') {
      // Sandboxed frames and some private modes throw on merely reading `localStorage`.
      reporter._guard(() => {
        kv = storageKV(win.localStorage);
      }, 'storage');
    }
    parts._kv = kv;
    // A denial given on an earlier page (or in another tab) stands until consent is given again. Found only now, it
    // is "late": see `forget`.
    let late = false;
    reporter._guard(() => {
      late = kv?.get(CONSENT_KEY) === 'denied' && consent._state !== 'denied';
      if (late) consent._state = 'denied';
    }, 'storage');
    const now = options.now ?? Date.now;
    parts._identity = createIdentity({
      _kv: kv ?? memoryKV(),
      _writable: writable(),
      _timeoutMs: options.sessionTimeout ?? 30 * 60_000,
      _newId: () => newId(now()),
      _onError: reporter._report,
    });
    parts._supers = createSuperProps({ _kv: kv ?? memoryKV(), _writable: writable, _onError: reporter._report });
    win.addEventListener('storage', onStorage);
    // Denied (GPC, DNT, the option, or remembered): what an earlier, consenting visit left on the device goes.
    if (consent._state === 'denied') forget(late);
    // Events tracked before get their ids and super properties now, in the order they were tracked.
    parts._serialiser._settle();
  };
}

/** The tracker's methods over its parts; `release` lets the page have a new tracker for the site after shutdown. */
function trackerApi(parts: Parts, win: Window, newId: (ts: number) => string, release: () => void): Tracker {
  const { _options: options, _reporter: reporter, _buffer: buffer } = parts;
  const { _pipeline: pipeline, _consent: consent } = parts;
  /** Stops the send timer, if the scheduler exists: else there is none (the start's is not set after shutdown). */
  const disarm = () => parts._pipes?._scheduler._disarm();
  const { _guard: guard } = reporter;
  const listeners = new Set<(event: TrailmarkEvent) => void>();
  const teardowns: Array<() => void> = [];
  const writable = () => consent._asked && consent._state === 'granted';
  /** Another tab's consent decision (the stored word): this tab follows it (a browser signal still wins). */
  const follow = (stored: string | null | undefined) => {
    if (stored && stored !== consent._state && !consent._locked) api.consent(stored as ConsentState);
  };
  const onStorage = (event: StorageEvent) =>
    guard(() => {
      // Another tab of the site decided consent, or reset (logout) or forgot the visitor: this tab follows.
      const { key, newValue } = event;
      if (key === CONSENT_KEY) follow(newValue);
      else if (key === VISITOR_KEY && !newValue) api.reset();
    }, 'storage');
  const listen = watchPage(win, parts, guard);
  /** Consent denied: drops what waits, forgets the ids and clears the queue, stored or not. */
  const forget = (late?: boolean) => {
    const held = buffer._clear();
    if (held) reporter._drop('consent_denied', held);
    parts._identity._forget();
    parts._supers._clear();
    disarm();
    // A denial remembered in storage and found late (when first needed: maybe by the very `consent('granted')` that
    // ends it, or a moment before another tab's grant) clears the stored queue only if this tab is still denied when
    // the clear runs: what other tabs queued after the grant is theirs to send (e2e/capture.spec.ts: an event tracked
    // in another tab right after consent was given was lost). Any other denial clears it whatever follows.
    pipeline()
      ._queue._clear(late ? () => consent._state === 'denied' : undefined)
      .catch((error: unknown) => reporter._report(error, 'consent'));
  };
  const load = storedState(parts, win, newId, forget, onStorage);
  parts._load = load;
  const api: Tracker = {
    siteId: options.siteId,
    track: createTrack(parts, listeners, follow),
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    reportError: reporter._report,
    async flush() {
      guard(buffer._process, 'flush');
      await pipeline()._scheduler._tick(true);
    },
    consent(state) {
      if (consent._locked && state !== 'denied')
        return debugLog(!!options.debug, 'consent ignored: the browser signals an opt-out (GPC/DNT)');
      load();
      consent._state = state;
      consent._asked = true;
      // Kept even where ids are not yet (`consent` persistence): a word, no identifier.
      guard(() => parts._kv?.set(CONSENT_KEY, state), 'storage');
      if (state === 'denied') forget();
      else {
        // Pending again: ids stay where they are, and nothing more is written until consent returns.
        parts._identity._persist(writable());
        parts._supers._save();
        if (state === 'granted') {
          buffer._process();
          pipeline()._scheduler._arm(0);
        } else disarm();
      }
    },
    identify(id, traits) {
      parts._user._id = id ? String(id).slice(0, 128) : undefined;
      // Traits are an event's props: checked against the protocol's limits and redacted like every other string.
      if (parts._user._id && traits) api.track('identify', traits);
    },
    reset() {
      // Events tracked so far keep their ids (loading settles them first): they leave unchanged.
      load();
      parts._user._id = undefined;
      parts._supers._clear();
      parts._identity._forget(true);
    },
    register(props) {
      load();
      guard(() => parts._supers._register(props), 'register');
    },
    unregister(key) {
      load();
      parts._supers._unregister(key);
    },
    dropped: () => ({ ...reporter._drops }),
    use(plugin: Plugin) {
      let teardown: (() => void) | undefined;
      guard(() => {
        teardown = plugin.setup(api);
      }, `plugin ${plugin.name}`);
      // The tracker's own page-lifecycle listeners run after every plugin's (see `watchPage`).
      listen(false);
      listen(true);
      teardown ??= () => undefined;
      teardowns.push(teardown);
      return teardown;
    },
    async shutdown() {
      for (const teardown of teardowns.splice(0).reverse()) guard(teardown, 'shutdown');
      listen(false);
      win.removeEventListener('storage', onStorage);
      listeners.clear();
      await api.flush();
      disarm();
      release();
    },
    get visitorId() {
      load();
      return parts._identity._visitorId;
    },
    get sessionId() {
      load();
      return parts._identity._sessionId;
    },
  };
  listen(true);
  // Denied from the start (GPC, DNT, the option): loaded now, so that what an earlier visit stored goes at once.
  if (consent._state === 'denied') load();
  return api;
}

/**
 * `track()`: checks the type, samples by visitor, merges super properties, prepares the event (serialise.ts), runs
 * `beforeSend` and the listeners, and buffers it (buffer.ts); serialising and sending come later.
 */
function createTrack(
  parts: Parts,
  listeners: ReadonlySet<(event: TrailmarkEvent) => void>,
  follow: (state: string | null | undefined) => void,
): Tracker['track'] {
  const { _options: options, _reporter: reporter, _buffer: buffer } = parts;
  const consent = parts._consent;
  const rate = options.sampleRate ?? 1;
  /** The visitor the sample was last decided for, and whether it is in: decided again after `reset()`. */
  let sampled = ['', true] as [string, boolean];
  /** The eviction priority of each valid event type seen: two regular expressions once per type, not per event. */
  const priorities = new Map<string, number>();
  return (type, props, override) => {
    try {
      // What sees or decides by an event's ids needs them now, and so does a tracker not granted consent (a decision
      // another tab stored is followed at once); otherwise they are loaded later (see `storedState`).
      if (options.beforeSend || listeners.size || rate < 1 || consent._state !== 'granted') parts._load();
      if (consent._state === 'denied') {
        // Consent given in another tab a moment ago: its `storage` event may not have reached this tab yet, so the
        // stored word is read again before the event is dropped (a read only while denied).
        reporter._guard(() => follow(parts._kv?.get(CONSENT_KEY)), 'storage');
        if (consent._state === 'denied') return reporter._drop('consent_denied', 1);
      }
      let priority = priorities.get(type);
      if (priority === undefined) {
        if (!EVENT_TYPE_PATTERN.test(type)) throw Error(__DEBUG_BUILD__ ? `invalid event type "${String(type).slice(0, 80)}"` : 'type');
        priority = LOW_PRIORITY.test(type) ? 0 : type === 'click' ? 1 : 2;
        priorities.set(type, priority);
      }
      if (rate < 1) {
        const visitor = parts._identity._visitorId;
        if (sampled[0] !== visitor) sampled = [visitor, inSample(visitor, rate)];
        if (!sampled[1]) return;
      }
      const prepared = parts._serialiser._prepare(type, priority, props, override);
      if (!prepared) return;
      if (options.beforeSend) {
        // The hook sees the event as it will be sent: time zone included, resolved now if it is not yet.
        parts._serialiser._zone();
        let kept: TrailmarkEvent | null = prepared._event();
        try {
          kept = options.beforeSend(kept);
        } catch (error) {
          reporter._report(error, 'beforeSend');
        }
        if (!kept) return reporter._drop('before_send', 1);
        prepared._replace(kept);
      }
      if (listeners.size) {
        const full = prepared._event();
        // A listener's failure is its own: the event is still sent.
        for (const listener of listeners) reporter._guard(() => listener(full), 'listener');
      }
      if (!buffer._push(prepared)) return;
      // Tracked while the page hides (a plugin's last event): it leaves with the unload batch. Tracked between
      // pagehide and the visibilitychange that follows: written through now, sent with the batch then. Tracked in a
      // hidden tab that lives on (Firefox and WebKit hide background tabs): stored at once (and spilled, should the
      // tab be closed first), then sent under the flush lock like any other. Otherwise: serialised in idle time.
      // No scheduler yet: the page has not hidden since start (a page hide builds it).
      const scheduler = parts._pipes?._scheduler;
      buffer._soon(
        scheduler && (scheduler._hiding || scheduler._unloading)
          ? scheduler._hiding && scheduler._unloading
            ? scheduler._hide
            : buffer._writeThrough
          : undefined,
      );
    } catch (error) {
      reporter._drop('invalid', 1);
      reporter._report(error, 'track');
    }
  };
}

/**
 * The tracker's page-lifecycle listeners; returns the function that adds (or removes) them. They are added again
 * after each plugin's setup so that they always run last: a plugin's own `pagehide` handler (time on page, final
 * scroll depth) then tracks its events before the tracker hands the unload batch to the browser, and they leave in
 * that one request.
 */
function watchPage(win: Window, parts: Parts, guard: Reporter['_guard']) {
  const doc = win.document;
  const onPage = (event: Event) =>
    guard(() => {
      const { type } = event;
      const visible = doc.visibilityState !== 'hidden';
      const scheduler = parts._pipeline()._scheduler;
      if (type === 'online') scheduler._tick(true);
      else if (type === 'pagehide') scheduler._pagehide(visible);
      else if (type === 'pageshow' || visible) scheduler._show();
      else scheduler._hide();
    }, event.type);
  return (add: boolean) => {
    for (const type of ['visibilitychange', 'pagehide', 'pageshow', 'online'])
      (type[0] === 'v' ? doc : win)[add ? 'addEventListener' : 'removeEventListener'](type, onPage);
  };
}
