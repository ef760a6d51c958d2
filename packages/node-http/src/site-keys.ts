/** One site a server accepts events for: its id, its two keys and the origins its pages send from. */
export interface SiteConfig {
  id: string;
  /** Public: may appear in web pages; it can only write. */
  writeKey: string;
  /** Secret: reads the site's data (never sent in a URL, never accepted for writing). */
  readKey: string;
  /** Origins whose pages may send (`*` allows any). */
  origins: string[];
}

/** What a key grants. */
export interface KeyGrant {
  site: SiteConfig;
  kind: 'write' | 'read';
}

/** The sites and a lookup from key to grant. */
export interface Keyring {
  readonly sites: readonly SiteConfig[];
  lookup(key: string | undefined): KeyGrant | undefined;
  site(id: string): SiteConfig | undefined;
  /** Whether any site allows this origin (used to answer preflights before the key is known). */
  anyAllows(origin: string): boolean;
}

const KEY_PATTERN = /^[A-Za-z0-9_.:-]{4,200}$/;
const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Checks a list of sites, throwing one message that names every problem (config errors stop the start). */
export function validateSites(input: unknown): SiteConfig[] {
  if (!Array.isArray(input)) throw new Error('sites must be an array');
  const problems: string[] = [];
  const keys = new Set<string>();
  const ids = new Set<string>();
  const sites: SiteConfig[] = [];
  input.forEach((raw, index) => {
    const at = `sites[${index}]`;
    if (typeof raw !== 'object' || raw === null) {
      problems.push(`${at} must be an object`);
      return;
    }
    const site = raw as Record<string, unknown>;
    const { id, writeKey, readKey } = site;
    const origins = site.origins ?? [];
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) problems.push(`${at}.id must be 1-128 letters, digits or _ . : -`);
    else if (ids.has(id)) problems.push(`${at}.id "${id}" is repeated`);
    for (const [name, key] of [
      ['writeKey', writeKey],
      ['readKey', readKey],
    ] as const) {
      if (typeof key !== 'string' || !KEY_PATTERN.test(key)) problems.push(`${at}.${name} must be 4-200 letters, digits or _ . : -`);
      else if (keys.has(key)) problems.push(`${at}.${name} is used twice: every key must be unique`);
      else keys.add(key);
    }
    if (!Array.isArray(origins) || !origins.every((origin) => typeof origin === 'string' && validOrigin(origin))) {
      problems.push(`${at}.origins must be origins such as "https://example.com" (or "*")`);
    }
    if (typeof id === 'string') ids.add(id);
    if (problems.length === 0) {
      sites.push({ id: id as string, writeKey: writeKey as string, readKey: readKey as string, origins: origins as string[] });
    }
  });
  if (problems.length > 0) throw new Error(`invalid site config: ${problems.join('; ')}`);
  return sites;
}

function validOrigin(origin: string): boolean {
  if (origin === '*') return true;
  try {
    return new URL(origin).origin === origin;
  } catch {
    return false;
  }
}

/** Builds the key lookup. */
export function createKeyring(sites: readonly SiteConfig[]): Keyring {
  const grants = new Map<string, KeyGrant>();
  for (const site of sites) {
    grants.set(site.writeKey, { site, kind: 'write' });
    grants.set(site.readKey, { site, kind: 'read' });
  }
  const byId = new Map(sites.map((site) => [site.id, site]));
  const origins = new Set(sites.flatMap((site) => site.origins));
  return {
    sites,
    lookup: (key) => (key === undefined ? undefined : grants.get(key)),
    site: (id) => byId.get(id),
    anyAllows: (origin) => origins.has('*') || origins.has(origin),
  };
}
