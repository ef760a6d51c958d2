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

/** A date or date-time query parameter as SQLite's `YYYY-MM-DD HH:MM:SS` (UTC), the format of the timestamp columns. */
export function dateParam(params: URLSearchParams, name: string): string | undefined {
  const raw = textParam(params, name, 64);
  if (raw === undefined) return undefined;
  const time = Date.parse(raw);
  if (!Number.isFinite(time)) throw new ParamError(`${name}: must be a date such as 2026-11-22 or an ISO date-time`);
  return sqlTime(time);
}

/** SQLite's `CURRENT_TIMESTAMP` format for a time in ms. */
export function sqlTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** A LIKE pattern matching `text` anywhere, with `%`, `_` and `\` taken literally (use with `ESCAPE '\'`). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
