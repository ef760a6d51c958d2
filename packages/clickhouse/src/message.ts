import { createHash } from 'node:crypto';
import { countryLookup, type TrailmarkEvent } from '@trailmark/protocol';
import { visitRows } from './visit-rows.js';

/** One admitted request as an ingest node hands it to `encodeMessage`: the site, the request's facts, its new events. */
export interface LogMessage {
  v: 1;
  site: string;
  /** Server clock minus client clock, ms: added to each `ts` for server time. */
  skewMs: number;
  /** The parts of the request's user-agent class (admitBatch's `agent`; the raw string is never carried). */
  browser: string | null;
  os: string | null;
  /** `desktop`, `mobile`, `tablet` or `bot` (absent in messages of version 1: read as unknown). */
  device?: string | null;
  events: TrailmarkEvent[];
}

/**
 * One row of the `events` table as the log carries it: what a message holds (a JSON array of these). `raw` is the
 * admitted event (client time) as an object: ClickHouse stores its JSON text as it comes
 * (`input_format_json_read_objects_as_strings`), so a loader inserts a message's bytes without parsing them.
 */
export interface EventRow {
  site_id: string;
  session_id: string;
  event_id: string;
  visitor_id: string;
  type: string;
  /** Server time (client `ts` plus the request's skew), ms. */
  ts: number;
  browser: string | null;
  os: string | null;
  agent_device: string | null;
  raw: TrailmarkEvent;
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

/** The `events` rows of a request. */
export function eventRows(message: LogMessage): EventRow[] {
  const device = message.device ?? null;
  return message.events.map((event) => ({
    site_id: message.site,
    session_id: event.session_id,
    event_id: event.event_id,
    visitor_id: event.visitor_id,
    type: event.type,
    ts: event.ts + message.skewMs,
    browser: message.browser,
    os: message.os,
    agent_device: device,
    raw: event,
  }));
}

/** The events of each visit in one message (every event of a message is a distinct id: `oncePerId`). */
function sessionCounts(rows: readonly EventRow[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.session_id, (counts.get(row.session_id) ?? 0) + 1);
  return counts;
}

/**
 * A request as the log carries it: three lines of JSON. The first is the array of its `events` rows; the second,
 * the array of the `visits` rows its events make on their own (`visitRows`, each `version` the visit's events in
 * this request); the third, its site and each visit's event count. The ingest node has the events parsed anyway and
 * does this work once (ingest nodes are many and stateless); a loader copies the two arrays into ClickHouse as they
 * are and reads only the third line. A visit with events elsewhere (another request) is rebuilt by the loader from
 * all its stored events, and that row, of more events, outranks the partial ones (`ReplacingMergeTree(version)`).
 */
export function encodeMessage(message: LogMessage, country = countryLookup()): Uint8Array {
  const rows = eventRows(message);
  const counts = sessionCounts(rows);
  const index: MessageIndex = { site: message.site, sessions: [...counts.keys()], counts: [...counts.values()] };
  return Buffer.from(`${JSON.stringify(rows)}\n${JSON.stringify(visitRows(message.site, rows, country))}\n${JSON.stringify(index)}`);
}

/** The third line of a message. */
interface MessageIndex {
  site: string;
  sessions: string[];
  counts: number[];
}

/** A message as a loader uses it. */
export interface DecodedMessage {
  site: string;
  /** The JSON array of its `events` rows, as bytes. */
  events: Uint8Array;
  /** The JSON array of its partial `visits` rows, as bytes. */
  visits: Uint8Array;
  /** Each visit of the message and its number of events in it. */
  sessions: Map<string, number>;
}

const NEWLINE = 0x0a;

/**
 * Splits a message into its parts without parsing its rows (a version-1 message, `{"v":1,…}` of a stream written
 * before this format, is parsed and brought to it); a body that is neither (written by something else) is
 * reported, not loaded.
 */
export function decodeMessage(data: Uint8Array): DecodedMessage | undefined {
  try {
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const first = bytes.indexOf(NEWLINE);
    const second = first < 0 ? -1 : bytes.indexOf(NEWLINE, first + 1);
    if (second < 0) return fromVersion1(JSON.parse(bytes.toString('utf8')) as LogMessage | null);
    const index = JSON.parse(bytes.subarray(second + 1).toString('utf8')) as MessageIndex | null;
    if (typeof index?.site !== 'string' || !Array.isArray(index.sessions) || !Array.isArray(index.counts)) return undefined;
    const sessions = new Map<string, number>();
    for (let i = 0; i < index.sessions.length; i++) sessions.set(String(index.sessions[i]), Number(index.counts[i]));
    const events = bytes.subarray(0, first);
    const visits = bytes.subarray(first + 1, second);
    return events[0] === OPEN && visits[0] === OPEN ? { site: index.site, events, visits, sessions } : undefined;
  } catch {
    return undefined;
  }
}

const OPEN = 0x5b; /* [ */

function fromVersion1(v1: LogMessage | null): DecodedMessage | undefined {
  if (v1?.v !== 1 || typeof v1.site !== 'string' || !Array.isArray(v1.events)) return undefined;
  const rows = eventRows(v1);
  return {
    site: v1.site,
    events: Buffer.from(JSON.stringify(rows)),
    visits: Buffer.from(JSON.stringify(visitRows(v1.site, rows))),
    sessions: sessionCounts(rows),
  };
}
