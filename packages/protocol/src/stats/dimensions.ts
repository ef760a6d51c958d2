import { channelOf } from '../channels.js';
import { classifySource } from '../referrer.js';
import { TIMEZONE_COUNTRIES } from '../timezone-countries.js';
import { parseAgentClass } from '../user-agent.js';
import type { StatsDimension } from './contract.js';

/**
 * How a visit's device, browser, OS and country are derived, as data every backend applies the same way (the
 * Postgres backend turns these tables into SQL). Trailmark keeps no IP geolocation: a visit's country is the
 * country of the browser's time zone.
 */

/** Device classes by screen width (CSS px), first match: under 576 a phone, under 992 a tablet … */
export const DEVICE_WIDTHS: ReadonlyArray<readonly [maxExclusive: number, device: string]> = [
  [576, 'Mobile'],
  [992, 'Tablet'],
  [1440, 'Laptop'],
  [Number.POSITIVE_INFINITY, 'Desktop'],
];

export { BROWSER_RULES, OS_RULES } from '../user-agent.js';

/** The device class of a screen width; null when the width is unknown. */
export function deviceOf(screenWidth: unknown): string | null {
  if (typeof screenWidth !== 'number' || !Number.isFinite(screenWidth) || screenWidth <= 0) return null;
  return DEVICE_WIDTHS.find(([max]) => screenWidth < max)?.[1] ?? null;
}

/** The browser named in a stored user-agent class (or a raw user agent stored before classes), or null. */
export const browserOf = (userAgent: unknown): string | null =>
  typeof userAgent === 'string' ? (parseAgentClass(userAgent)?.browser ?? null) : null;
/** The operating system named in a stored user-agent class (or a raw user agent), or null. */
export const osOf = (userAgent: unknown): string | null =>
  typeof userAgent === 'string' ? (parseAgentClass(userAgent)?.os ?? null) : null;

/** Every known time zone and its ISO 3166 country code (built on each call: nothing runs at import). */
export function timezoneCountries(): Array<[zone: string, country: string]> {
  return TIMEZONE_COUNTRIES.split('|').flatMap((group) => {
    const [country, zones] = group.split(':') as [string, string];
    return zones.split(',').map((zone): [string, string] => [zone, country]);
  });
}

/** A lookup from time zone to country code (null for unknown zones and `UTC`). */
export function countryLookup(): (timezone: unknown) => string | null {
  const table = new Map(timezoneCountries());
  return (timezone) => (typeof timezone === 'string' ? (table.get(timezone) ?? null) : null);
}

/** What a visit's dimensions read of its first event (browser and OS already parsed from its user agent). */
export interface FirstEventFields {
  referrer?: string | undefined;
  url?: string | undefined;
  utm_source?: string | undefined;
  utm_medium?: string | undefined;
  utm_campaign?: string | undefined;
  timezone?: string | undefined;
  screen_w?: number | undefined;
  browser: string | null;
  os: string | null;
}

/** A visit's dimension values from its first event and its first and last pageviews. */
export function visitDims(
  first: FirstEventFields,
  entry: { path?: string | null | undefined; url?: string | undefined } | undefined | null,
  exit: { path?: string | null | undefined } | undefined | null,
  country: (timezone: unknown) => string | null,
): Record<Exclude<StatsDimension, 'page'>, string | null> {
  const source = classifySource(first.referrer, entry?.url ?? first.url, {
    ...(first.utm_source ? { utm_source: first.utm_source } : {}),
    ...(first.utm_medium ? { utm_medium: first.utm_medium } : {}),
  });
  return {
    entry_page: entry?.path ?? null,
    exit_page: exit?.path ?? null,
    // The channel (organic or paid search, e-mail, social…), from the source and the UTM medium: docs/dashboard.md.
    source: channelOf({ ...source, utm_source: first.utm_source, utm_medium: first.utm_medium }),
    referrer: source.platform,
    utm_source: first.utm_source ?? null,
    utm_medium: first.utm_medium ?? null,
    utm_campaign: first.utm_campaign ?? null,
    country: country(first.timezone),
    device: deviceOf(first.screen_w),
    browser: first.browser,
    os: first.os,
  };
}
