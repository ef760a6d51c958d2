import type { Attribution } from './event.js';

/** Where a session came from. */
export type SourceType = 'direct' | 'search' | 'social' | 'referral';

/** A classified traffic source. */
export interface TrafficSource {
  source: SourceType;
  /** Platform name such as `google` or `linkedin`; the referring host for plain referrals; null for direct. */
  platform: string | null;
  /** The referring host, when there is an external one. */
  host: string | null;
}

// Host fragments → platform. Matched against the host's labels, so `google.co.uk` and `www.bing.com` both hit.
const SEARCH: Record<string, string> = {
  google: 'google',
  bing: 'bing',
  duckduckgo: 'duckduckgo',
  yahoo: 'yahoo',
  baidu: 'baidu',
  yandex: 'yandex',
  ecosia: 'ecosia',
  qwant: 'qwant',
  startpage: 'startpage',
  'search.brave': 'brave',
  naver: 'naver',
  seznam: 'seznam',
  kagi: 'kagi',
};
const SOCIAL: Record<string, string> = {
  facebook: 'facebook',
  fb: 'facebook',
  instagram: 'instagram',
  't.co': 'twitter',
  twitter: 'twitter',
  'x.com': 'twitter',
  linkedin: 'linkedin',
  'lnkd.in': 'linkedin',
  reddit: 'reddit',
  pinterest: 'pinterest',
  youtube: 'youtube',
  'youtu.be': 'youtube',
  tiktok: 'tiktok',
  threads: 'threads',
  mastodon: 'mastodon',
  bsky: 'bluesky',
  'news.ycombinator': 'hackernews',
  whatsapp: 'whatsapp',
  telegram: 'telegram',
  't.me': 'telegram',
  snapchat: 'snapchat',
  vk: 'vk',
  weibo: 'weibo',
};

/**
 * The social platforms' names (`linkedin`, `twitter`…): a tag naming one is social whatever its medium says. A function,
 * not a computed constant, so a bundle that does not call it (the SDK's) leaves it out.
 */
export function socialPlatforms(): string[] {
  return [...new Set(Object.values(SOCIAL))];
}

function lookup(host: string, table: Record<string, string>): string | null {
  const labels = host
    .toLowerCase()
    .replace(/^www\./, '')
    .split('.');
  for (const key of Object.keys(table)) {
    const parts = key.split('.');
    for (let i = 0; i + parts.length <= labels.length; i++) {
      if (parts.every((part, j) => labels[i + j] === part)) return table[key] ?? null;
    }
  }
  return null;
}

function hostOf(url: string | undefined | null): string | null {
  if (!url) return null;
  try {
    return new URL(url).hostname.toLowerCase() || null;
  } catch {
    return null;
  }
}

/**
 * Classifies a session's source from its referrer and UTM tags. A referrer on the site's own host
 * counts as direct. Without a referrer, `utm_source` names the platform (`utm_source=linkedin` is social).
 */
export function classifySource(referrer: string | undefined | null, siteUrl?: string | null, utm: Attribution = {}): TrafficSource {
  const host = hostOf(referrer);
  const siteHost = hostOf(siteUrl);
  const medium = utm.utm_medium?.toLowerCase() ?? '';
  if (host && host !== siteHost) {
    const search = lookup(host, SEARCH);
    if (search) return { source: 'search', platform: search, host };
    const social = lookup(host, SOCIAL);
    if (social) return { source: 'social', platform: social, host };
    return { source: 'referral', platform: host.replace(/^www\./, ''), host };
  }
  const tag = utm.utm_source?.toLowerCase();
  if (tag) {
    const asHost = tag.includes('.') ? tag : `${tag}.com`;
    const search = lookup(asHost, SEARCH);
    if (search || /^(cpc|ppc|paidsearch|organic)$/.test(medium)) return { source: 'search', platform: search ?? tag, host: null };
    const social = lookup(asHost, SOCIAL);
    if (social || /social/.test(medium)) return { source: 'social', platform: social ?? tag, host: null };
    return { source: 'referral', platform: tag, host: null };
  }
  return { source: 'direct', platform: null, host: null };
}

const UTM_KEYS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term'] as const;

/** The UTM parameters of a URL (empty when it has none or is not a URL). */
export function parseUtm(url: string): Attribution {
  const out: Attribution = {};
  let params: URLSearchParams;
  try {
    params = new URL(url).searchParams;
  } catch {
    return out;
  }
  for (const key of UTM_KEYS) {
    const value = params.get(key);
    if (value) out[key] = value.slice(0, 256);
  }
  return out;
}
