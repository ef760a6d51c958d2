/**
 * Limits shared by the SDK (which never builds anything larger) and every backend (which rejects what is).
 * Byte figures are UTF-8 bytes of the JSON text.
 */

/** Largest batch the SDK sends: under the 64 KiB that keepalive fetch and sendBeacon allow in flight. */
export const MAX_BATCH_BYTES = 60 * 1024;
/** Largest request body a backend reads before answering 413. */
export const MAX_REQUEST_BYTES = 512 * 1024;
/**
 * Most bytes of a refused body (too large, wrong media type, bad key) a backend reads and drops before answering, so
 * a client still sending sees the answer instead of a reset connection; past it, the answer closes the connection.
 */
export const MAX_DRAIN_BYTES = 4 * 1024 * 1024;
/** Most events in one batch a backend accepts. */
export const MAX_BATCH_EVENTS = 1000;
/** Most event ids one check (`{"v":1,"check":[…]}`: which of these have you stored?) may ask about. */
export const MAX_CHECK_IDS = 500;
/** Largest single event. */
export const MAX_EVENT_BYTES = 16 * 1024;
/** Longest `url` / `referrer`. */
export const MAX_URL_LENGTH = 2048;
/** Longest `title`. */
export const MAX_TITLE_LENGTH = 512;
/** Longest id (`site_id`, `visitor_id`, `session_id`, `user_id`). */
export const MAX_ID_LENGTH = 128;
/** Longest short string (UTM values, language, timezone, custom prop strings). */
export const MAX_SHORT_STRING = 256;
/** Longest string inside `props`. */
export const MAX_PROP_STRING = 1024;
/** Most keys in `props` at any level, and most items in a props array. */
export const MAX_PROPS_KEYS = 50;
/** Deepest nesting of `props` (the object itself is depth 1). */
export const MAX_PROPS_DEPTH = 4;
/** Largest `props` object. */
export const MAX_PROPS_BYTES = 8 * 1024;
/** Event type / custom event names: a letter, then letters, digits, `_ . : -`, at most 64. */
export const EVENT_TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;
/** How far in the future (after skew correction) an event time may lie. */
export const MAX_FUTURE_SKEW_MS = 10 * 60 * 1000;
/** How old an event may be when it arrives (the SDK gives up on events older than its own max age first). */
export const MAX_EVENT_AGE_MS = 7 * 24 * 60 * 60 * 1000;
