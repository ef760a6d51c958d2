import { TIMEZONE_COUNTRIES } from '../timezone-countries.js';
import { parseAgentClass } from '../user-agent.js';

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
