import { CHANNEL_LABELS, type Channel, type StatsDimension } from '@trailmark/protocol';

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en', { maximumFractionDigits: 2 });

/** 1,234 */
export const formatCount = (value: number) => integer.format(value);
/** 1.5 */
export const formatDecimal = (value: number) => decimal.format(value);
/** 42% */
export const formatPercent = (ratio: number) => `${integer.format(ratio * 100)}%`;

/** 1m 05s, 2h 03m, 12s */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

let regions: Intl.DisplayNames | undefined;

/** How a dimension's value reads in a table (unknown values named for what they are). */
export function formatValue(dimension: StatsDimension, value: string | null): string {
  if (value === null) return dimension === 'referrer' ? 'Direct / none' : 'Unknown';
  if (dimension === 'country') {
    regions ??= new Intl.DisplayNames(['en'], { type: 'region' });
    try {
      return regions.of(value) ?? value;
    } catch {
      return value;
    }
  }
  if (dimension === 'source') return CHANNEL_LABELS[value as Channel] ?? value;
  return value;
}

/** The change from `before` to `now` as `+12%` / `−5%`; null when there is nothing to compare with. */
export function formatChange(now: number, before: number): string | null {
  if (before === 0) return null;
  const change = Math.round(((now - before) / before) * 100);
  return `${change > 0 ? '+' : change < 0 ? '−' : '±'}${Math.abs(change)}%`;
}

/** A date for an axis or a label, in UTC (the buckets are UTC). */
export function formatBucket(t: number, interval: 'hour' | 'day'): string {
  const date = new Date(t);
  const day = date.toLocaleDateString('en', { month: 'short', day: 'numeric', timeZone: 'UTC' });
  return interval === 'hour' ? `${day} ${String(date.getUTCHours()).padStart(2, '0')}:00` : day;
}
