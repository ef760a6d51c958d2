import { type SourceType, socialPlatforms } from './referrer.js';

/**
 * The channel a visit came through: the traffic source refined by its UTM medium, grouped as GA4's default channel
 * group and Plausible do. Values are stable identifiers (`search` is organic search); `CHANNEL_LABELS` names them.
 */
export type Channel =
  | 'direct'
  | 'search'
  | 'paid_search'
  | 'social'
  | 'paid_social'
  | 'email'
  | 'affiliates'
  | 'display'
  | 'paid_other'
  | 'referral';

/** How the dashboard and the docs name each channel. */
export const CHANNEL_LABELS: Readonly<Record<Channel, string>> = {
  direct: 'Direct',
  search: 'Organic search',
  paid_search: 'Paid search',
  social: 'Social',
  paid_social: 'Paid social',
  email: 'Email',
  affiliates: 'Affiliates',
  display: 'Display',
  paid_other: 'Paid other',
  referral: 'Referral',
};

/**
 * The patterns of the rules, matched case-insensitively against the whole lower-cased `utm_medium` (and for e-mail
 * `utm_source` too). Written in the regular-expression syntax JavaScript and PostgreSQL share, so the Postgres ingest
 * server runs these very strings in SQL.
 */
export const CHANNEL_PATTERNS = {
  email: '^(e[-_ ]?mail|newsletter)$',
  display: '^(display|banner|expandable|interstitial|cpm)$',
  affiliates: '^affiliates?$',
  paid: '^(.*cp.*|ppc|retargeting|paid.*)$',
} as const;

/** What a channel is decided from: the classified source and the visit's first UTM tags. */
export interface ChannelInput {
  source: SourceType;
  /** The platform or referring host (`google`, `news.example.org`), null for direct. */
  platform: string | null;
  utm_source?: string | null | undefined;
  utm_medium?: string | null | undefined;
}

const matches = (value: string | null | undefined, pattern: string) => !!value && new RegExp(pattern).test(value.toLowerCase());

/**
 * The channel, by the first rule that holds: e-mail (medium or source `email`, `e-mail`, `newsletter`…), display,
 * affiliates, social (a social referrer or platform; paid when the medium is `cpc`, `ppc`, `paid…`), search (paid
 * likewise), another paid medium, direct, and referral for the rest.
 */
export function channelOf({ source, platform, utm_source, utm_medium }: ChannelInput): Channel {
  if (matches(utm_medium, CHANNEL_PATTERNS.email) || matches(utm_source, CHANNEL_PATTERNS.email)) return 'email';
  if (matches(utm_medium, CHANNEL_PATTERNS.display)) return 'display';
  if (matches(utm_medium, CHANNEL_PATTERNS.affiliates)) return 'affiliates';
  const paid = matches(utm_medium, CHANNEL_PATTERNS.paid);
  // `utm_source=linkedin&utm_medium=cpc` is classified as search by its medium; its platform makes it social.
  if (source === 'social' || (source === 'search' && platform !== null && socialPlatforms().includes(platform)))
    return paid ? 'paid_social' : 'social';
  if (source === 'search') return paid ? 'paid_search' : 'search';
  if (paid) return 'paid_other';
  return source === 'direct' ? 'direct' : 'referral';
}
