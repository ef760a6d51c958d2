import { requestKey } from '@trailmark/protocol';

/** `write` keys are public (they sit in pages) and may only send; `secret` keys read. */
export type KeyKind = 'write' | 'secret';

/** A key as the Worker uses it. */
export interface SiteKey {
  key: string;
  kind: KeyKind;
  /** The site the key belongs to; `undefined` for an unregistered key accepted in development. */
  siteId: string | undefined;
  /** Origins allowed to call with this key (`*` allows any). */
  origins: string[];
  /** Whether the key is a row of `api_keys` (usage is recorded only for those). */
  registered: boolean;
}

interface KeyRow {
  api_key: string;
  kind: string;
  site_id: string;
  website: string;
}

/** Looks keys up in `api_keys`, remembering answers for a while so ingest costs no extra D1 round trip. */
export interface KeyStore {
  /** The key's row, remembered for `ttlMs`. */
  lookup(db: D1Database, key: string, ttlMs: number): Promise<SiteKey | undefined>;
}

/**
 * A key store with an isolate-local cache: known keys for `ttlMs`, unknown ones for at most 5 s
 * (so a key registered a moment ago starts working quickly, while a flood of bad keys does not hit D1).
 */
export function createKeyStore(now: () => number = Date.now): KeyStore {
  const cache = new Map<string, { value: SiteKey | undefined; until: number }>();
  return {
    async lookup(db, key, ttlMs) {
      const hit = cache.get(key);
      if (hit && hit.until > now()) return hit.value;
      const row = await db.prepare('SELECT api_key, kind, site_id, website FROM api_keys WHERE api_key = ?').bind(key).first<KeyRow>();
      const value = row ? fromRow(row) : undefined;
      if (cache.size > 10_000) cache.clear();
      cache.set(key, { value, until: now() + (value ? ttlMs : Math.min(ttlMs, 5000)) });
      return value;
    },
  };
}

function fromRow(row: KeyRow): SiteKey {
  return {
    key: row.api_key,
    kind: row.kind === 'secret' ? 'secret' : 'write',
    siteId: row.site_id,
    origins: row.website
      .split(',')
      .map((origin) => origin.trim().replace(/\/+$/, ''))
      .filter(Boolean),
    registered: true,
  };
}

/** An unknown write key accepted because `ALLOW_UNREGISTERED_KEYS` is on: any site, any origin. */
export function unregisteredKey(key: string): SiteKey {
  return { key, kind: 'write', siteId: undefined, origins: ['*'], registered: false };
}

/**
 * The write key a request carries: the tippen script's `X-Tippen-API-Key`, then the protocol's
 * `?key=`, `X-Trailmark-Key` or `Authorization: Bearer`.
 */
export function writeKeyOf(request: Request): string | undefined {
  return request.headers.get('x-tippen-api-key') || requestKey(request);
}

/** The secret key of a read request: `Authorization: Bearer` only, so it never lands in URLs or logs. */
export function bearerKeyOf(request: Request): string | undefined {
  const auth = request.headers.get('authorization');
  const match = auth ? /^Bearer\s+(\S+)$/i.exec(auth) : null;
  return match?.[1] ?? webSocketProtocolKey(request);
}

/**
 * Browsers cannot set headers on a WebSocket, so a dashboard passes its secret key as the subprotocol
 * `bearer.<key>` next to `trailmark` (the Kubernetes API server does the same).
 */
function webSocketProtocolKey(request: Request): string | undefined {
  if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return undefined;
  const protocols = (request.headers.get('sec-websocket-protocol') ?? '').split(',').map((p) => p.trim());
  return protocols.find((p) => p.startsWith('bearer.'))?.slice('bearer.'.length) || undefined;
}

/**
 * The statement counting one use of a registered key, run in the request's own D1 `batch()`: the count is exact
 * (two requests in a second count two) and commits with what the request stored, or not at all. Summing uses in
 * the isolate and writing them later lost every count an evicted isolate still held.
 */
export function keyUsageStatement(db: D1Database, key: SiteKey): D1PreparedStatement[] {
  if (!key.registered) return [];
  return [
    db.prepare('UPDATE api_keys SET usage_count = usage_count + 1, last_used_at = CURRENT_TIMESTAMP WHERE api_key = ?').bind(key.key),
  ];
}
