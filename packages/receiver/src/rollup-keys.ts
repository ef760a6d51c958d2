import type { TrailmarkEvent } from '@trailmark/protocol';

/** Milliseconds in an hour: rollups are kept per UTC hour. */
export const HOUR_MS = 3_600_000;

/** The start of the UTC hour holding `ts`. */
export function hourOf(ts: number): number {
  return Math.floor(ts / HOUR_MS) * HOUR_MS;
}

/**
 * Extra rollup dimensions: output name → the field counted. The field is looked up in `props` first,
 * then on the event itself (so `path` works). The defaults keep the analytics-track API's rollup shape.
 */
export type RollupDimensions = Record<string, string>;

/** `tool_usage` and `risk_distribution`, as in the analytics-track API's hourly rollups. */
export const DEFAULT_ROLLUP_DIMENSIONS: RollupDimensions = { tool_usage: 'tool_name', risk_distribution: 'risk_mode' };

const MAX_KEY_LENGTH = 256;

/** The value an event contributes to a dimension, or undefined when it has none (objects and arrays do not count). */
export function dimensionValue(event: TrailmarkEvent, field: string): string | undefined {
  const own = (object: object | undefined) =>
    object && Object.hasOwn(object, field) ? (object as Record<string, unknown>)[field] : undefined;
  const fromProps = own(event.props);
  const value = fromProps !== undefined ? fromProps : own(event);
  if (typeof value === 'string') return value === '' ? undefined : value.slice(0, MAX_KEY_LENGTH);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}
