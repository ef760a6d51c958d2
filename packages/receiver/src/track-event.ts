import { createHash, randomUUID } from 'node:crypto';

/**
 * An event in the analytics-track API's shape (`POST /api/analytics/track`, and the JSON exports the
 * import command back-fills): `event_type`, `session_id`, ISO `timestamp`, and optional extras.
 */
export interface TrackEventInput {
  event_id?: string;
  event_type: string;
  session_id: string;
  timestamp?: string | number;
  user_id?: string;
  visitor_id?: string;
  site_id?: string;
  tool_name?: string;
  action?: string;
  properties?: Record<string, unknown>;
  demo_mode?: boolean;
  url?: string;
  path?: string;
  referrer?: string;
  title?: string;
}

/** How `toNativeEvent` fills what the track shape lacks. */
export interface ToNativeOptions {
  siteId: string | undefined;
  now: number;
  /** `random` for live requests; `content` derives the id from the input, so re-importing is idempotent. */
  ids: 'random' | 'content';
}

/** Whether a value looks like the track shape rather than a native event. */
export function isTrackShaped(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'event_type' in value && !('type' in value);
}

/**
 * Maps a track-shaped event to a native candidate for `parseBatch()`, which then validates it (so one set
 * of rules and reasons serves both APIs). Values of the wrong type are passed through for the validator to name.
 */
export function toNativeEvent(raw: unknown, options: ToNativeOptions): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const input = raw as Record<string, unknown>;
  const plainProps = typeof input.properties === 'object' && input.properties !== null && !Array.isArray(input.properties);
  const props: Record<string, unknown> = plainProps ? { ...(input.properties as Record<string, unknown>) } : {};
  for (const key of ['tool_name', 'action', 'demo_mode'] as const) {
    if (input[key] !== undefined) props[key] = input[key];
  }
  const event: Record<string, unknown> = {
    event_id: input.event_id ?? (options.ids === 'content' ? contentId(input) : randomUUID()),
    type: input.event_type,
    ts: timestampOf(input.timestamp, options.now),
    site_id: input.site_id ?? options.siteId,
    visitor_id: input.visitor_id ?? input.user_id ?? input.session_id,
    session_id: input.session_id,
    seq: 0,
    url: input.url ?? '',
    path: input.path ?? '',
  };
  for (const key of ['user_id', 'referrer', 'title'] as const) {
    if (input[key] !== undefined) event[key] = input[key];
  }
  // A `properties` that is not an object goes through as is, so the validator names the problem.
  if (input.properties !== undefined && !plainProps) event.props = input.properties;
  else if (Object.keys(props).length > 0) event.props = props;
  return event;
}

function timestampOf(value: unknown, now: number): unknown {
  if (value === undefined) return now;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? value : parsed;
  }
  return value;
}

/** What `timestamp` accepts, said where it is not one (the native schema's "Expected number" says too little). */
export const TIMESTAMP_FORMS = 'must be an ISO 8601 date-time such as "2026-12-01T10:30:00Z" or ms since 1970 (a number)';

/** Renames native field names in a validator reason back to the track shape's names. */
export function trackReason(reason: string): string {
  // A type or integer problem of `ts` is a timestamp in no accepted form; its age problems keep their own reason.
  if (/^ts: (Expected|Invalid|must be an integer)/.test(reason)) return `timestamp: ${TIMESTAMP_FORMS}`;
  return reason
    .replace(/^type:/, 'event_type:')
    .replace(/^ts:/, 'timestamp:')
    .replace(/^props/, 'properties');
}

/**
 * A UUID (version 8, RFC 9562 "custom") from a SHA-256 of the input's canonical JSON: the same exported
 * event always maps to the same `event_id`, so importing a file twice stores it once.
 */
export function contentId(input: unknown): string {
  const hex = createHash('sha256').update(canonicalJson(input)).digest('hex');
  const variant = ((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
