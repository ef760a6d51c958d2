import { errorResponse, originAllowed } from '@trailmark/protocol';
import { type Env, numberVar } from './env.js';
import { bearerKeyOf, type KeyStore, type SiteKey, unregisteredKey, writeKeyOf } from './keys.js';

/** The key a request was allowed with, or the answer refusing it. */
export type Authorization = { ok: true; key: SiteKey } | { ok: false; response: Response };

const refuse = (response: Response): Authorization => ({ ok: false, response });

/**
 * Authorises a write (ingest) request: a registered write key whose website is the request's Origin.
 * Unknown keys get 401 unless `ALLOW_UNREGISTERED_KEYS` is `"true"`; a secret key gets 403, since a key
 * that can read must never be pasted into a page.
 */
export async function authorizeWrite(request: Request, env: Env, keys: KeyStore): Promise<Authorization> {
  const inUrl = await secretInUrl(request, env, keys);
  if (inUrl) return inUrl;
  const presented = writeKeyOf(request);
  if (!presented) return refuse(errorResponse('unauthorized', 'send the site write key as ?key=, X-Trailmark-Key or X-Tippen-API-Key'));
  const found = await keys.lookup(env.DB, presented, numberVar(env.KEY_CACHE_SECONDS, 60) * 1000);
  const key = found ?? (env.ALLOW_UNREGISTERED_KEYS === 'true' ? unregisteredKey(presented) : undefined);
  if (!key) return refuse(errorResponse('unauthorized', 'unknown key'));
  if (key.kind !== 'write') return refuse(errorResponse('forbidden', 'a secret key cannot be used to send events; use the write key'));
  return checkOrigin(request, key);
}

/** Authorises a read request: a registered secret key as `Authorization: Bearer`, never a write key. */
export async function authorizeRead(request: Request, env: Env, keys: KeyStore): Promise<Authorization> {
  const inUrl = await secretInUrl(request, env, keys);
  if (inUrl) return inUrl;
  const presented = bearerKeyOf(request);
  if (!presented) return refuse(errorResponse('unauthorized', 'send the secret key as Authorization: Bearer <key>'));
  const key = await keys.lookup(env.DB, presented, numberVar(env.KEY_CACHE_SECONDS, 60) * 1000);
  if (!key) return refuse(errorResponse('unauthorized', 'unknown key'));
  if (key.kind !== 'secret') return refuse(errorResponse('forbidden', 'a write key cannot read; use the secret key'));
  return checkOrigin(request, key);
}

/**
 * A secret key in the URL (`?key=sk_…`) is refused with 403 whatever else the request carries (a Bearer header, a
 * write key): URLs land in access logs, browser history and `Referer` headers (docs/privacy.md, "Keys and access").
 */
async function secretInUrl(request: Request, env: Env, keys: KeyStore): Promise<Authorization | undefined> {
  const inUrl = new URL(request.url).searchParams.get('key');
  if (!inUrl) return undefined;
  const key = await keys.lookup(env.DB, inUrl, numberVar(env.KEY_CACHE_SECONDS, 60) * 1000);
  if (key?.kind !== 'secret') return undefined;
  return refuse(
    errorResponse(
      'forbidden',
      'the secret key must not be sent in the URL (it lands in logs and Referer headers); send Authorization: Bearer',
    ),
  );
}

function checkOrigin(request: Request, key: SiteKey): Authorization {
  const origin = request.headers.get('origin');
  if (!originAllowed(origin, key.origins)) {
    return refuse(errorResponse('origin_not_allowed', `origin ${origin} is not this site's website`));
  }
  return { ok: true, key };
}
