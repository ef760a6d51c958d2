import type { StatsDimension } from '@trailmark/protocol';

/** A date range the dashboard shows. */
export interface Range {
  from: number;
  to: number;
  interval: 'hour' | 'day';
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The range presets, by the value of the range picker. */
export const PRESETS: Record<string, { label: string; days: number }> = {
  '1': { label: 'Last 24 hours', days: 1 },
  '7': { label: 'Last 7 days', days: 7 },
  '30': { label: 'Last 30 days', days: 30 },
  '90': { label: 'Last 90 days', days: 90 },
};

/**
 * A preset's range: the last 24 hours on whole hours, or the last `days` UTC days including today (whole days, so
 * every bucket of the chart is a whole day and consecutive reloads ask the same buckets).
 */
export function presetRange(days: number, now: number): Range {
  if (days <= 2) {
    const to = Math.ceil(now / HOUR) * HOUR;
    return { from: to - days * DAY, to, interval: 'hour' };
  }
  const to = Math.floor(now / DAY) * DAY + DAY;
  return { from: to - days * DAY, to, interval: 'day' };
}

/** A custom range of whole UTC days `from`..`to` (`YYYY-MM-DD`, both included); null when invalid. */
export function dayRange(from: string, to: string): Range | null {
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`) + DAY;
  if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start || end - start > 400 * DAY) return null;
  return { from: start, to: end, interval: end - start <= 2 * DAY ? 'hour' : 'day' };
}

/** The period of the same length just before. */
export function previousRange(range: Range): Range {
  const span = range.to - range.from;
  return { from: range.from - span, to: range.from, interval: range.interval };
}

/** The query string of a request: range, filters and the panel's own parameters. */
export function statsParams(
  range: Range,
  filters: ReadonlyMap<StatsDimension, string | null>,
  extra: Record<string, string | string[]> = {},
): URLSearchParams {
  const params = new URLSearchParams({ from: String(range.from), to: String(range.to), interval: range.interval });
  for (const [dimension, value] of filters) params.set(`filter.${dimension}`, value ?? '');
  for (const [name, value] of Object.entries(extra)) {
    for (const one of Array.isArray(value) ? value : [value]) params.append(name, one);
  }
  return params;
}

/** The start of every bucket of a range, so a chart shows the empty ones too. */
export function bucketStarts(range: Range): number[] {
  const size = range.interval === 'hour' ? HOUR : DAY;
  const starts: number[] = [];
  for (let t = Math.floor(range.from / size) * size; t < range.to; t += size) starts.push(t);
  return starts;
}
