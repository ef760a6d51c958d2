/** A query parameter read failed: the message is the answer's reason (400 invalid_request). */
export class ParamError extends Error {}

/** An integer query parameter in [min, max], or the fallback when absent. */
export function intParam(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new ParamError(`${name}: must be an integer from ${min} to ${max}`);
  return value;
}

/** A short text query parameter, or undefined when absent. */
export function textParam(params: URLSearchParams, name: string, max = 256): string | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  if (raw.length > max) throw new ParamError(`${name}: must be at most ${max} characters`);
  return raw;
}

/**
 * A date or date-time query parameter as SQLite's `YYYY-MM-DD HH:MM:SS` (UTC), the format of the timestamp columns.
 * A date alone means the start of that day (UTC), or with `wholeDay` (an upper bound, `to`) its last second, so
 * `from=2026-12-01&to=2026-12-01` is the whole of 1 December.
 */
export function dateParam(params: URLSearchParams, name: string, { wholeDay = false } = {}): string | undefined {
  const raw = textParam(params, name, 64);
  if (raw === undefined) return undefined;
  const time = Date.parse(raw);
  if (!Number.isFinite(time)) throw new ParamError(`${name}: must be a date such as 2026-11-22 or an ISO date-time`);
  return sqlTime(wholeDay && /^\d{4}-\d{2}-\d{2}$/.test(raw) ? time + 86_400_000 - 1000 : time);
}

/** SQLite's `CURRENT_TIMESTAMP` format for a time in ms. */
export function sqlTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * A condition that `column` contains `?N` (ASCII case-insensitive, as LIKE is), written with `instr`, not LIKE: D1
 * refuses a LIKE pattern over 50 bytes as "too complex" (a 503), so a 48-character search, or 30 `%` once escaped,
 * failed though the parameter allows 128 or 256 characters. `instr` takes the text as it is: nothing to escape.
 */
export function containsClause(column: string, placeholder: string): string {
  return `instr(lower(${column}), lower(${placeholder})) > 0`;
}
