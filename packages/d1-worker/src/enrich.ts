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

// ua-parser-js 1.x names (MIT; 2.x is AGPL) mapped to the labels the tippen data shows ("Mac - Edge",
// "Windows - Chrome"). 1.x says "Mac OS" where 2.x says "macOS"; both map to the seed's "Mac".
const OS_LABELS: Record<string, string> = { 'Mac OS': 'Mac', macOS: 'Mac', 'Chromium OS': 'Chrome OS' };

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

/**
 * "OS - Browser" from a user agent, via ua-parser-js 1.x (kept current by its maintainers, unlike
 * ad-hoc regexes), with the seed's "Unknown Device" / "Unknown Browser" when it names neither.
 */
export function roleOf(userAgent: string | null): string {
  const { os, browser } = new UAParser(userAgent ?? '').getResult();
  const osName = os.name ? (OS_LABELS[os.name] ?? os.name) : 'Unknown Device';
  return `${osName} - ${browser.name ?? 'Unknown Browser'}`;
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
