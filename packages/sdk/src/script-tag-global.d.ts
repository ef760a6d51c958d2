/**
 * Types of the script tag's one global (`trailmark.js`, `trailmark.min.js`), written by hand: the script-tag entry
 * is an IIFE and exports nothing. Bring them into a TypeScript page with
 * `import type {} from 'trailmark/trailmark.min.js'` (or `/// <reference types="trailmark/trailmark.min.js" />`);
 * then `window.trailmark('track', 'signup', { plan: 'pro' })` is checked.
 */
import type { ConsentState, DropReason, Props } from './index.js';

/**
 * `window.trailmark` (or the name given in `data-global`). Before the SDK loads it is the stub that queues calls in
 * `q`, and every call returns `undefined`; once loaded, each method does what the tracker's method of that name
 * does. A call never throws: an unknown method or a bad argument is reported to the debug output and ignored.
 */
export interface TrailmarkGlobal {
  /** Tracks an event of `type` (lower-case letters, digits, `_`, `.`, `-`) with optional props. */
  (method: 'track', type: string, props?: Props): void;
  /** Sets consent: `granted` persists and sends, `pending` holds events in memory, `denied` drops and clears. */
  (method: 'consent', state: ConsentState): void;
  /** Sets (or with no id clears) the `user_id` of later events. */
  (method: 'identify', userId?: string, traits?: Props): void;
  /** Sends what is queued now; `undefined` while only the stub is there. */
  (method: 'flush'): Promise<void> | undefined;
  /** Counts of dropped events by reason; `undefined` while only the stub is there. */
  (method: 'dropped'): Partial<Record<DropReason, number>> | undefined;
  /** The calls the pre-load stub queued, replayed in order when the SDK loads. */
  q?: IArguments[] | unknown[][];
}

declare global {
  interface Window {
    /** The script tag's global (the default name; another `data-global` name needs its own declaration). */
    trailmark?: TrailmarkGlobal;
  }
}
