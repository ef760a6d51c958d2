/** Rewrites a page URL before events carry it, or returns `undefined` when the page is not tracked at all. */
export type UrlRule = (url: string) => string | undefined;

/** Options of `urlRules()`. */
export interface UrlRulesOptions {
  /**
   * Paths whose events are not tracked: globs over the path, `*` within one segment, `**` across segments
   * (`/admin/**`, `/*\/preview`, `/checkout`). Matched on the whole path; the query does not count.
   */
  exclude?: string[];
  /** An allowlist: only these query parameters stay in `url`; every other one is removed. */
  keepParams?: string[];
  /** A denylist: these query parameters are removed from `url` (with the click ids, unless `stripClickIds: false`). */
  stripParams?: string[];
  /** Remove the ad platforms' click ids (`CLICK_IDS`: one per click, so they identify a person's visit) (default true). */
  stripClickIds?: boolean;
}

/**
 * Click ids of the ad platforms. Each is unique per click: kept, they make every landing URL a different page in
 * reports and tie a visit to an ad-platform profile. UTM parameters are not among them: the campaign is read from
 * the URL before any parameter is removed, into the `utm_*` fields.
 */
export const CLICK_IDS = [
  'gclid',
  'gbraid',
  'wbraid',
  'dclid',
  'fbclid',
  'msclkid',
  'ttclid',
  'twclid',
  'li_fat_id',
  'yclid',
  'igshid',
  'mc_eid',
  '_gl',
];

const glob = (pattern: string) => pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*\*?/g, (stars) => (stars[1] ? '.*' : '[^/]*'));

/**
 * Page and URL control, as the tracker's `pageUrl` option: excluded paths, and query parameters kept (allowlist) or
 * removed (denylist; the click ids by default). A separate import: trackers without it carry none of this code.
 */
export function urlRules(options: UrlRulesOptions = {}): UrlRule {
  const { exclude = [], keepParams } = options;
  const excluded = exclude[0] ? RegExp(`^(?:${exclude.map(glob).join('|')})$`) : undefined;
  const strip = new Set([...(options.stripClickIds === false ? [] : CLICK_IDS), ...(options.stripParams ?? [])]);
  const keep = keepParams && new Set(keepParams);
  return (href) => {
    const url = new URL(href);
    if (excluded?.test(url.pathname)) return undefined;
    const params = url.searchParams;
    const remove = [...params.keys()].filter((name) => (keep ? !keep.has(name) : strip.has(name)));
    for (const name of remove) params.delete(name);
    // An untouched URL stays byte for byte as the page has it (URLSearchParams would re-encode the query).
    return remove[0] ? url.href : href;
  };
}
