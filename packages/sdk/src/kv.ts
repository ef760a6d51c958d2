/** A tiny synchronous key-value store for identity state (visitor id, session, lease). */
export interface KeyValue {
  get(key: string): string | null;
  set(key: string, value: string): void;
  remove(key: string): void;
}

/**
 * Where identity lives: first-party localStorage, memory only (cookieless), or memory until `consent('granted')` is
 * called and localStorage from then on. `cookieStorage()` is a fourth choice.
 */
export type Persistence = 'localStorage' | 'memory' | 'consent';

/** A `KeyValue` in memory: nothing outlives the page. */
export function memoryKV(): KeyValue {
  const map: Record<string, string> = {};
  return {
    get: (key) => map[key] ?? null,
    set: (key, value) => {
      map[key] = value;
    },
    remove: (key) => {
      delete map[key];
    },
  };
}

/** A `KeyValue` over Web Storage; throws from the storage (quota, disabled) are the caller's to catch. */
export function storageKV(storage: Storage): KeyValue {
  return {
    get: (key) => storage.getItem(key),
    set: (key, value) => storage.setItem(key, value),
    remove: (key) => storage.removeItem(key),
  };
}

/**
 * A `KeyValue` over first-party cookies (one year, `SameSite=Lax`, `Secure` on https): pass it as
 * `persistence` to share the visitor id across subdomains (`domain: 'example.com'`).
 */
export function cookieStorage(domain?: string, doc: Document | undefined = globalThis.document): KeyValue {
  // Without a document (Node, server rendering) it stores nothing and finds nothing: the SDK never throws there.
  const write = (key: string, value: string, age: number) => {
    if (doc)
      doc.cookie = `${key}=${encodeURIComponent(value)};max-age=${age};path=/;SameSite=Lax${domain ? `;domain=${domain}` : ''}${doc.location?.protocol === 'https:' ? ';Secure' : ''}`;
  };
  return {
    get(key) {
      const match = doc?.cookie.match(new RegExp(`(?:^|; )${key}=([^;]*)`));
      return match ? decodeURIComponent(match[1]!) : null;
    },
    set: (key, value) => write(key, value, 31536000),
    remove: (key) => write(key, '', 0),
  };
}
