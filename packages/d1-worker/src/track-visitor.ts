import { EVENT_TYPE_PATTERN, errorResponse, MAX_ID_LENGTH, MAX_URL_LENGTH, readJsonBody, redactUrl } from '@trailmark/protocol';
import { enrich, hostOf } from './enrich.js';
import { json } from './http.js';
import { keyUsageStatement, type SiteKey } from './keys.js';
import { isGone, type LiveEvent } from './live-client.js';

/** The tippen tracking script's body: `{ event, visitor: { visitorId, url, timestamp }, website }`. */
export interface VisitorPing {
  event: string;
  visitorId: string;
  url: string | null;
  website: string;
}

/** What a stored ping hands on to the live object. */
export interface StoredPing {
  response: Response;
  live: LiveEvent;
  /** The site's host, the live object's name for an unregistered (development) key. */
  website: string;
}

/** Most seconds one heartbeat adds to `total_time_seconds`: a longer silence was time away, not on the site. */
export const MAX_HEARTBEAT_SECONDS = 60;

/**
 * `POST /track/visitor`, kept compatible with the tippen script: one upsert per ping (a pageview adds a page view,
 * a heartbeat the seconds since the visitor's last ping, at most `MAX_HEARTBEAT_SECONDS`), answered
 * `{ success: true, sessionId }` with the visitor id as the session id. The key's use is counted in the same D1
 * batch. The URL and `website` are redacted (the protocol's rules) before they are stored or shown live; the user
 * agent is kept as its "OS - Browser" role only.
 */
export async function trackVisitor(request: Request, db: D1Database, key: SiteKey, now = Date.now()): Promise<StoredPing | Response> {
  const body = await readJsonBody(request, 16 * 1024);
  if (!body.ok) return errorResponse(body.code, body.error);
  const parsed = parsePing(body.value);
  if (typeof parsed === 'string') return errorResponse('invalid_request', parsed);
  // The protocol's rules over what the ping carries as text (its URL and the `website` a careless page may fill).
  const ping = { ...parsed, url: parsed.url === null ? null : redactUrl(parsed.url), website: redactUrl(parsed.website) };
  const website = ping.website || hostOf(ping.url ?? undefined) || hostOf(key.origins.find((o) => o !== '*'));
  const enrichment = enrich(request.cf as Record<string, unknown> | undefined, request.headers.get('user-agent'), website);
  const upsert = db
    .prepare(
      `INSERT INTO visitors (api_key, visitor_id, company, location, last_role, website, page_views, first_seen_at, last_seen_at, total_time_seconds)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0)
       ON CONFLICT (api_key, visitor_id) DO UPDATE SET
         page_views = COALESCE(visitors.page_views, 0) + excluded.page_views,
         total_time_seconds = COALESCE(visitors.total_time_seconds, 0) + CASE WHEN ?8 THEN
           MIN(MAX(unixepoch(CURRENT_TIMESTAMP) - COALESCE(unixepoch(visitors.last_seen_at), unixepoch(CURRENT_TIMESTAMP)), 0), ?9)
           ELSE 0 END,
         last_seen_at = CURRENT_TIMESTAMP,
         company = excluded.company,
         location = excluded.location,
         last_role = excluded.last_role,
         website = excluded.website`,
    )
    .bind(
      key.key,
      ping.visitorId,
      enrichment.company,
      enrichment.location,
      enrichment.lastRole,
      website,
      ping.event === 'pageview' ? 1 : 0,
      ping.event === 'heartbeat' ? 1 : 0,
      MAX_HEARTBEAT_SECONDS,
    );
  // The day's row for the stats timeline (UTC, as the events' days).
  const day = db
    .prepare(
      `INSERT INTO visitor_days (api_key, visitor_id, day, page_views) VALUES (?1, ?2, DATE('now'), ?3)
       ON CONFLICT (api_key, visitor_id, day) DO UPDATE SET page_views = visitor_days.page_views + excluded.page_views`,
    )
    .bind(key.key, ping.visitorId, ping.event === 'pageview' ? 1 : 0);
  await db.batch([upsert, day, ...keyUsageStatement(db, key)]);
  const path = pathOf(ping.url);
  return {
    response: json({ success: true, sessionId: ping.visitorId }),
    live: {
      visitor_id: ping.visitorId,
      session_id: null,
      type: ping.event,
      ts: now,
      url: ping.url,
      path,
      title: null,
      gone: isGone(ping.event, undefined),
      company: enrichment.company,
      location: enrichment.location,
      role: enrichment.lastRole,
    },
    website,
  };
}

/** Validates the ping, returning the reason when it is unusable. */
export function parsePing(value: unknown): VisitorPing | string {
  if (!isRecord(value)) return 'the body must be a JSON object';
  const event = value.event ?? 'pageview';
  if (typeof event !== 'string' || !EVENT_TYPE_PATTERN.test(event)) return 'event: must be an event name such as "pageview"';
  const visitor = value.visitor;
  if (!isRecord(visitor)) return 'visitor: must be an object with visitorId';
  const visitorId = visitor.visitorId;
  if (typeof visitorId !== 'string' || visitorId.length === 0 || visitorId.length > MAX_ID_LENGTH) {
    return `visitor.visitorId: must be a string of 1 to ${MAX_ID_LENGTH} characters`;
  }
  const url = visitor.url ?? null;
  if (url !== null && (typeof url !== 'string' || url.length > MAX_URL_LENGTH))
    return `visitor.url: must be a string of at most ${MAX_URL_LENGTH}`;
  const timestamp = visitor.timestamp;
  if (timestamp !== undefined && typeof timestamp !== 'string' && typeof timestamp !== 'number')
    return 'visitor.timestamp: must be a string or number';
  const website = value.website ?? '';
  if (typeof website !== 'string' || website.length > 256) return 'website: must be a string of at most 256 characters';
  return { event, visitorId, url, website };
}

function pathOf(url: string | null): string | null {
  if (!url) return null;
  try {
    return new URL(url).pathname;
  } catch {
    // A relative or odd URL from an old script: keep it as the path.
    return url.slice(0, MAX_URL_LENGTH);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
