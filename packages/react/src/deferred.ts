import type { Tracker } from 'trailmark';

/** Calls made before the tracker started, replayed in order when it does (bounded: a page can't grow it forever). */
const MAX_HELD = 100;

/** A tracker that stands in until the real one starts, and the function that starts it. */
export interface DeferredTracker {
  /** The stable tracker components see: calls before `start()` are held, later ones go straight through. */
  readonly tracker: Tracker;
  /** Hands over to `real` (once; later calls are ignored) and replays the held calls on it. */
  start(real: Tracker): void;
}

type Held = (real: Tracker) => void;

/**
 * The provider's tracker before hydration has finished: `createTracker()` runs after the hydration render (an effect,
 * or on idle), so a child's own effect, which React runs before its parent's, would otherwise meet a tracker that
 * drops its events. Here they wait, in order, and reach the real tracker when it starts.
 */
export function deferredTracker(siteId: string): DeferredTracker {
  let real: Tracker | undefined;
  let held: Held[] = [];
  const hold = (call: Held) => {
    if (real) call(real);
    else if (held.length < MAX_HELD) held.push(call);
  };
  /** Attaches a listener or plugin when the tracker starts; its removal works before and after. */
  const later = (attach: (t: Tracker) => () => void) => {
    let remove: (() => void) | undefined;
    let removed = false;
    hold((t) => {
      if (!removed) remove = attach(t);
    });
    return () => {
      removed = true;
      remove?.();
    };
  };
  const tracker: Tracker = {
    siteId,
    track: (type, props, context) => hold((t) => t.track(type, props, context)),
    onEvent: (listener) => later((t) => t.onEvent(listener)),
    reportError: (error, where) => hold((t) => t.reportError(error, where)),
    flush: () => (real ? real.flush() : Promise.resolve()),
    consent: (state) => hold((t) => t.consent(state)),
    identify: (userId) => hold((t) => (userId === undefined ? t.identify() : t.identify(userId))),
    reset: () => hold((t) => t.reset()),
    register: (props) => hold((t) => t.register(props)),
    unregister: (key) => hold((t) => t.unregister(key)),
    dropped: () => (real ? real.dropped() : {}),
    use: (plugin) => later((t) => t.use(plugin)),
    shutdown: () => (real ? real.shutdown() : Promise.resolve()),
    get visitorId() {
      return real ? real.visitorId : '';
    },
    get sessionId() {
      return real ? real.sessionId : '';
    },
  };
  return {
    tracker,
    start(started) {
      if (real) return;
      real = started;
      const calls = held;
      held = [];
      for (const call of calls) call(started);
    },
  };
}
