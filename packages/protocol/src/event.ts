/**
 * The event and batch shapes of Trailmark's wire protocol (version 1).
 * The SDK imports these as types only; servers validate them at run time with `parseBatch()`.
 */

/** Event types the SDK's capture plugins produce. Any other identifier is a custom event name. */
export const BUILTIN_EVENT_TYPES = [
  'pageview',
  'page_leave',
  'click',
  'scroll_depth',
  'form_submit',
  'page_visibility',
  'heartbeat',
  'text_copy',
  'web_vital',
  'sdk_dropped',
  // Issue 24's captures: `errors()`, `formAbandonment()` and `identify(userId, traits)`. Built in, so no goal.
  'js_error',
  'form_start',
  'form_abandon',
  'identify',
] as const;

/** A built-in event type. */
export type BuiltinEventType = (typeof BUILTIN_EVENT_TYPES)[number];

/** `pageview`, `click`, … or a custom event name such as `booking_created`. */
export type EventType = BuiltinEventType | (string & {});

/** Why an event opened a new session. */
export type SplitReason = 'new' | 'idle' | 'midnight' | 'campaign' | 'referrer';

/** A JSON value allowed in `props` (bounded by the limits in `limits.ts`). */
export type PropValue = string | number | boolean | null | PropValue[] | { [key: string]: PropValue };

/** Type-specific data of an event. */
export type Props = { [key: string]: PropValue };

/** Where the event happened. */
export interface PageContext {
  url: string;
  path: string;
  title?: string;
  /** The external referrer, or the previous in-app URL for SPA navigation. */
  referrer?: string;
}

/**
 * Campaign attribution parsed from the landing URL: first touch, kept for the whole session. Every event of a session
 * carries the UTM fields of the page that began it; a page with another campaign (source, medium or campaign) begins
 * a new session (`split_reason: 'campaign'`) whose events carry that one.
 */
export interface Attribution {
  utm_source?: string;
  utm_medium?: string;
  utm_campaign?: string;
  utm_content?: string;
  utm_term?: string;
}

/** What the browser looked like. */
export interface DeviceContext {
  language?: string;
  timezone?: string;
  screen_w?: number;
  screen_h?: number;
  viewport_w?: number;
  viewport_h?: number;
  dpr?: number;
  /** Set when the browser reports automation (`webdriver`) or a headless user agent; the server decides. */
  bot?: 'webdriver' | 'headless';
}

/** One event on the wire. */
export interface TrailmarkEvent extends PageContext, Attribution, DeviceContext {
  /** Unique id (UUID v7: time-ordered); the idempotency key every backend stores by. */
  event_id: string;
  type: EventType;
  /** Client time of the event, milliseconds since the epoch. */
  ts: number;
  site_id: string;
  visitor_id: string;
  session_id: string;
  /** Per-session counter, starting at 1. */
  seq: number;
  /** Present on the first event of a session. */
  split_reason?: SplitReason;
  /** Set after `identify()`. */
  user_id?: string;
  props?: Props;
}

/** The batch envelope: what one request carries. */
export interface Batch {
  /** Protocol version. */
  v: 1;
  /** SDK name and version, e.g. `trailmark/0.1.0`. */
  sdk?: string;
  /** Client time when the batch left, ms since the epoch: servers correct clock skew with it. */
  sent_at?: number;
  events: TrailmarkEvent[];
}
