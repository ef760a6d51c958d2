import { createHash } from 'node:crypto';
import type { TrailmarkEvent } from '@trailmark/protocol';

/** One admitted request as it travels through the log: the site, the request's facts, its new events. */
export interface LogMessage {
  v: 1;
  site: string;
  /** Server clock minus client clock, ms: added to each `ts` for server time. */
  skewMs: number;
  /** The browser and OS parts of the request's user-agent class (admitBatch's `agent`; the raw string is never carried). */
  browser: string | null;
  os: string | null;
  /** The device part of the class (`bot` for a crawler or headless browser); absent in messages of older nodes. */
  device?: string | null;
  events: TrailmarkEvent[];
}

/**
 * The message id of a request's admitted events: the same events (whatever their order or letter case) give the
 * same id, so a retried request inside the stream's duplicate window is dropped by the stream itself.
 */
export function messageId(site: string, eventIds: readonly string[]): string {
  const hash = createHash('sha256').update(site).update('\u0000');
  for (const id of eventIds.map((id) => id.toLowerCase()).sort()) hash.update(id).update(',');
  return hash.digest('hex').slice(0, 32);
}

export const encodeMessage = (message: LogMessage): Uint8Array => Buffer.from(JSON.stringify(message));

/** Parses a message; a body that is not one (written by something else) is reported, not loaded. */
export function decodeMessage(data: Uint8Array): LogMessage | undefined {
  try {
    const value = JSON.parse(Buffer.from(data).toString('utf8')) as LogMessage;
    return value?.v === 1 && typeof value.site === 'string' && Array.isArray(value.events) ? value : undefined;
  } catch {
    return undefined;
  }
}
