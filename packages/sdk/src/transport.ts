import type { TrailmarkEvent } from '@trailmark/protocol';

/** One batch on its way out: the envelope already serialised once, so no transport pays for it again. */
export interface Payload {
  /** The batch envelope as JSON text (`{"v":1,…,"events":[…]}`). */
  readonly body: string;
  /** UTF-8 length of `body`. */
  readonly bytes: number;
  /** Number of events. */
  readonly count: number;
  /** The events as objects (parsed on demand, for transports that re-encode). */
  events(): TrailmarkEvent[];
}

/** What the transport knows of the page when it sends. */
export interface SendOptions {
  /** True when the page is being hidden or unloaded: only keepalive fetch or sendBeacon survive. */
  unloading: boolean;
  /** Aborted when the request's deadline passes (`requestTimeout`): the SDK has stopped waiting for its answer. */
  signal?: AbortSignal;
}

/** An event the server refused, as the transport reports it back. */
export interface EventRejection {
  event_id: string | null;
  reason: string;
}

/**
 * The outcome of one send. A transport never rejects its promise because of an HTTP status:
 * - `ok`: accepted (individual events may still be listed as rejected by the server);
 * - `retry`: keep the events and try later (after `afterMs` when the server said so). `unanswered`: the request failed
 *   with no answer (a network error), so the server may have it: Chromium rejects a keepalive fetch it still delivers
 *   when the page starts to unload, just before `pagehide`. Such events are not sent again by the unload batch: the
 *   next flush (this page's after the backoff, or the next page's) asks the server which it has (`confirm`, ids only)
 *   and sends only the rest;
 * - `split`: the batch was too large (413): the SDK sends it again in halves;
 * - `drop`: the server will never accept this batch as it is;
 * - `unknown`: handed to the browser with no way to see the answer (sendBeacon; a keepalive fetch whose promise the
 *   browser rejects as the page unloads): at page hide the events stay queued, are not sent again by this page, and a
 *   later flush asks the server (`confirm`) which of them it has, resending only the rest; at any other time taken as
 *   sent.
 */
export type TransportResult =
  | { status: 'ok'; rejected?: EventRejection[] }
  | { status: 'retry'; afterMs?: number; reason?: string; unanswered?: boolean }
  | { status: 'split' }
  | { status: 'drop'; reason: string }
  | { status: 'unknown' };

/** The one interface every delivery path implements; a custom one is a few lines. */
export interface Transport {
  send(payload: Payload, options: SendOptions): Promise<TransportResult>;
  /**
   * Optional: which of these event ids the server has stored. Asked about events whose send had no answer the SDK
   * could see (page hide, a request past its deadline), so it resends only those the server lacks. Resolves to the
   * stored ids, or `undefined` when the server cannot tell (then every one of them is sent again).
   */
  confirm?(ids: string[], options: { signal?: AbortSignal }): Promise<readonly string[] | undefined>;
}
