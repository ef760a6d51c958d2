import { UAParser } from 'ua-parser-js';

/** What the server adds to a visitor from the request itself. */
export interface Enrichment {
  company: string;
  location: string;
  lastRole: string;
}

/** The `request.cf` fields enrichment reads (Cloudflare fills them at the edge; Miniflare from its `cf` option). */
export interface CfLike {
  asOrganization?: unknown;
  city?: unknown;
  region?: unknown;
  country?: unknown;
  timezone?: unknown;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() ? value.trim().slice(0, 256) : undefined);

// The tippen data shows "Mac - Edge"; ua-parser says "macOS".
const OS_NAMES: Record<string, string> = { macOS: 'Mac', 'Mac OS': 'Mac' };

/**
 * Company from the network's organisation, location as "City, Country" (or the timezone, as the seed
 * stored it), role as "OS - Browser", each with the seed's fallback when the request says nothing.
 */
export function enrich(cf: CfLike | undefined, userAgent: string | null, website: string): Enrichment {
  const company = text(cf?.asOrganization) ?? `${website || 'Unknown'} Visitor`;
  const place = [text(cf?.city), text(cf?.country)].filter(Boolean).join(', ');
  const location = place || text(cf?.timezone) || 'Unknown Location';
  return { company, location, lastRole: roleOf(userAgent) };
}

/** "OS - Browser" from a user agent, via ua-parser-js (kept current by its maintainers, unlike ad-hoc regexes). */
export function roleOf(userAgent: string | null): string {
  const result = new UAParser(userAgent ?? '').getResult();
  const os = result.os.name ? (OS_NAMES[result.os.name] ?? result.os.name) : 'Unknown Device';
  return `${os} - ${result.browser.name ?? 'Unknown Browser'}`;
}

/** The host of a URL or origin, or '' when it is not one. */
export function hostOf(url: string | undefined): string {
  if (!url) return '';
  try {
    return new URL(url).host;
  } catch {
    // Not a URL (the tippen script sends a bare domain as `website`): use it as given.
    return url.slice(0, 256);
  }
}
