/**
 * Server events in a browser's visit (`trailmark/server`): a site's own server signs the visit a page hands it into a
 * short-lived token, and later sends facts only it knows (an e-mail sent, a payment taken) into that visit, in the
 * wire format every backend admits, each exactly once. Web Crypto and `fetch` only: Node 20+, Workers, Deno, Bun.
 */
import { EVENT_TYPE_PATTERN, type Props, propsProblem, type TrailmarkEvent } from '@trailmark/protocol';
import { revenueProblem } from './revenue.js';
import type { Transport, TransportResult } from './transport.js';

/** The visit a page hands its site's server: the ids the page's events carry, and where it was. */
export interface Visit {
  siteId: string;
  visitorId: string;
  sessionId: string;
  /** The page's `user_id`, if it had one. */
  userId?: string;
  /** The page the visit was at when it handed the ids over (its `url` and `path`). */
  url: string;
  path: string;
}

/** Options of `signVisit()`. */
export interface SignVisitOptions {
  /** How long the token is good for, ms (default 15 minutes; at most 7 days, the protocol's oldest event). */
  ttlMs?: number;
  /** Clock, ms since the epoch (tests pass one). */
  now?: number;
}

const MAX_TTL_MS = 7 * 24 * 3600_000;
const MAX_TOKEN = 4096;

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (char) => char.charCodeAt(0));
}

function utf8(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text);
}

function hmacKey(secret: string): Promise<CryptoKey> {
  // A short secret can be guessed offline from one token: 32 characters is 128+ bits from any sane generator.
  if (typeof secret !== 'string' || secret.length < 32) throw Error('the visit secret must be a string of at least 32 characters');
  return crypto.subtle.importKey('raw', utf8(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
}

const isId = (value: unknown) => typeof value === 'string' && value.length > 0 && value.length <= 128;

/**
 * Signs `visit` into a token (`<claims>.<HMAC-SHA256>`, base64url) good for `ttlMs`. The secret is the site server's
 * own (never the backend's read key, never in a page). Sign what the page sends as soon as it arrives, and keep the
 * token with the job that will report later (the e-mail to send, the payment provider's metadata).
 */
export async function signVisit(visit: Visit, secret: string, options: SignVisitOptions = {}): Promise<string> {
  const ttl = Math.min(options.ttlMs ?? 15 * 60_000, MAX_TTL_MS);
  const { siteId, visitorId, sessionId, userId, url, path } = visit;
  if (![siteId, visitorId, sessionId].every(isId) || (userId !== undefined && !isId(userId)))
    throw Error('siteId, visitorId and sessionId must be ids of 1 to 128 characters');
  const claims = { siteId, visitorId, sessionId, userId, url: String(url).slice(0, 2048), path: String(path).slice(0, 2048) };
  const payload = base64url(utf8(JSON.stringify({ ...claims, exp: (options.now ?? Date.now()) + ttl })));
  const signature = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), utf8(payload)));
  return `${payload}.${base64url(signature)}`;
}

/**
 * The visit a token names, or `undefined` when the token is malformed, not signed with `secret` (compared in constant
 * time by Web Crypto) or expired.
 */
export async function verifyVisit(token: string, secret: string, now = Date.now()): Promise<Visit | undefined> {
  const key = await hmacKey(secret);
  if (typeof token !== 'string' || token.length > MAX_TOKEN) return undefined;
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return undefined;
  let claims: Visit & { exp?: unknown };
  try {
    if (!(await crypto.subtle.verify('HMAC', key, fromBase64url(signature), utf8(payload)))) return undefined;
    claims = JSON.parse(new TextDecoder().decode(fromBase64url(payload)));
  } catch {
    // Not base64url or not JSON: not a token this secret signed.
    return undefined;
  }
  if (typeof claims?.exp !== 'number' || claims.exp <= now) return undefined;
  const { exp: _, ...visit } = claims;
  return visit;
}

/** Options of `serverClient()`. */
export interface ServerClientOptions {
  /** Where events go: the backend adapter a page would use (`postgresIngest({ endpoint, key, fetch })`, …). */
  transport: Transport;
  /** The secret visit tokens were signed with. */
  secret: string;
  /** Clock, ms since the epoch (tests pass one). */
  now?: () => number;
}

/** What `track()` came to: sent (or stored before: the same `key` again), or why not. */
export type ServerTrackResult =
  | { ok: true; event_id: string }
  | { ok: false; reason: 'token' | 'invalid'; detail: string }
  | { ok: false; reason: 'transport'; result: TransportResult };

/**
 * A server-side client. `track(token, type, props, key)` sends one event into the visit the token names: its site,
 * visitor, session and user, at the page the token was signed at, `seq` 0 (a server event has no place in the page's
 * sequence). `key` is the fact's own id (the e-mail's message id, the payment id): the event id is derived from it,
 * so a retried job or a webhook delivered twice stores one event. Props are checked like the browser SDK's (the
 * protocol's limits; a bad `revenue` refuses the event here, where the caller can act on it) and redacted by the
 * backend at admission like every string. It never throws for a bad token, event or answer: it says why.
 */
export function serverClient(options: ServerClientOptions) {
  const now = options.now ?? Date.now;
  return {
    async track(token: string, type: string, props: Props | undefined, key: string): Promise<ServerTrackResult> {
      const visit = await verifyVisit(token, options.secret, now());
      if (!visit) return { ok: false, reason: 'token', detail: 'the token is malformed, forged or expired' };
      if (typeof type !== 'string' || !EVENT_TYPE_PATTERN.test(type))
        return { ok: false, reason: 'invalid', detail: 'type must be a letter followed by at most 63 letters, digits or _ . : -' };
      if (typeof key !== 'string' || !key || key.length > 512)
        return { ok: false, reason: 'invalid', detail: 'key must be 1 to 512 characters' };
      const problem = (props && propsProblem(props)) || revenueProblem(props);
      if (problem) return { ok: false, reason: 'invalid', detail: problem };
      const event: TrailmarkEvent = {
        event_id: await eventId(`${visit.siteId}\n${visit.sessionId}\n${type}\n${key}`),
        type,
        ts: now(),
        site_id: visit.siteId,
        visitor_id: visit.visitorId,
        session_id: visit.sessionId,
        seq: 0,
        url: visit.url,
        path: visit.path,
      };
      if (visit.userId) event.user_id = visit.userId;
      if (props) event.props = props;
      const body = JSON.stringify({ v: 1, sdk: 'trailmark-server/0.1.0', sent_at: now(), events: [event] });
      const payload = { body, bytes: utf8(body).length, count: 1, events: () => [event] };
      let result: TransportResult;
      try {
        result = await options.transport.send(payload, { unloading: false });
      } catch (error) {
        result = { status: 'retry', reason: String(error) };
      }
      return result.status === 'ok' && !result.rejected?.length
        ? { ok: true, event_id: event.event_id }
        : { ok: false, reason: 'transport', result };
    },
  };
}

/** A UUID (version 8: custom) from the SHA-256 of `text`: one fact, one id, however often it is sent. */
async function eventId(text: string): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(text)));
  const bytes = hash.slice(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
