import type { EventType, PageContext, Props, TrailmarkEvent } from '@trailmark/protocol';

/** What a capture plugin may do with the tracker: the whole of its view of the core. */
export interface TrackerApi {
  /** The site id events are sent for. */
  readonly siteId: string;
  /**
   * Records an event. Constant, tiny work: the event is enriched and buffered, everything else is deferred.
   * `context` overrides the page context read at call time (e.g. the previous URL as `referrer` after SPA navigation).
   */
  track(type: EventType, props?: Props, context?: Partial<PageContext>): void;
  /**
   * Calls `listener` synchronously with every event tracked from now on; returns its removal. Its `timezone` is there
   * once the tracker has resolved it (idle time after start-up): the sent event always carries it.
   */
  onEvent(listener: (event: TrailmarkEvent) => void): () => void;
  /** Reports a failure once to the host's `onError` hook (never throws). */
  reportError(error: unknown, where: string): void;
}

/**
 * A capture feature: a factory returns one of these. `setup` is the only place it may touch the DOM;
 * it returns a teardown that removes every listener it added.
 */
export interface Plugin {
  readonly name: string;
  setup(tracker: TrackerApi): (() => void) | undefined;
}
