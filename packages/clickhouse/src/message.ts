import { createHash } from 'node:crypto';
import { countryLookup, type TrailmarkEvent } from '@trailmark/protocol';
import { INT64_BYTES, maxStringBytes, rowBinaryReader, rowBinaryWriter, UUID_BYTES } from './row-binary.js';
import type { RowFormat } from './store.js';
import { tsvField } from './tsv.js';
import { visitRows } from './visit-rows.js';
import { visitRowsTsv } from './visit-rows-tsv.js';

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

/** The `events` columns a message's rows carry, in their order (a `TabSeparated` insert names them). */
export const EVENT_COLUMNS = [
  'site_id',
  'session_id',
  'event_id',
  'visitor_id',
  'type',
  'ts',
  'browser',
  'os',
  'agent_device',
  'raw',
] as const;

/**
 * The `events` rows as `TabSeparated` text, one line each (every line ends in a newline), columns `EVENT_COLUMNS`: the
 * rows of messages before `RowBinary` ones (`eventRowsBinary`), still loaded as they are. `raw` is the event's JSON
 * text, which has no tab or newline of its own (JSON escapes them), only backslashes to escape.
 */
export function eventRowsTsv(rows: readonly EventRow[]): string {
  let text = '';
  let facts = '';
  let factsOf: EventRow | undefined;
  for (const row of rows) {
    // The request's facts are the same on every row of a message: escaped once.
    if (!factsOf || row.browser !== factsOf.browser || row.os !== factsOf.os || row.agent_device !== factsOf.agent_device) {
      factsOf = row;
      facts = `${tsvField(row.browser)}\t${tsvField(row.os)}\t${tsvField(row.agent_device)}`;
    }
    text += `${tsvField(row.site_id)}\t${tsvField(row.session_id)}\t${tsvField(row.event_id)}\t${tsvField(row.visitor_id)}\t${tsvField(row.type)}\t${row.ts}\t${facts}\t${tsvField(JSON.stringify(row.raw))}\n`;
  }
  return text;
}

/**
 * The `events` rows as `RowBinary` bytes, columns `EVENT_COLUMNS`. ClickHouse reads these without parsing text: no
 * field to find by its tab, no escape to undo, the UUID and the time as their bytes. Measured into embedded chDB,
 * 100,000 events in 250-message inserts: 8.9-10.0 CPU-µs an event against 13.4-20.3 for the same rows as
 * `TabSeparated` (alternating, load average 19-22).
 */
export function eventRowsBinary(rows: readonly EventRow[]): Buffer {
  const raws = rows.map((row) => JSON.stringify(row.raw));
  const nullable = (value: string | null) => 1 + (value === null ? 0 : maxStringBytes(value));
  // At most the rows' bytes (each string's room from its length alone, without encoding it).
  let size = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as EventRow;
    size += maxStringBytes(row.site_id) + maxStringBytes(row.session_id) + UUID_BYTES + maxStringBytes(row.visitor_id);
    size += maxStringBytes(row.type) + INT64_BYTES + nullable(row.browser) + nullable(row.os) + nullable(row.agent_device);
    size += maxStringBytes(raws[i] as string);
  }
  const out = rowBinaryWriter(size);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as EventRow;
    out.string(row.site_id);
    out.string(row.session_id);
    out.uuid(row.event_id);
    out.string(row.visitor_id);
    out.string(row.type);
    out.int64(row.ts);
    out.nullableString(row.browser);
    out.nullableString(row.os);
    out.nullableString(row.agent_device);
    out.string(raws[i] as string);
  }
  return out.bytes();
}

/**
 * A request as the log carries it. The first line is a JSON index: the site, each visit of the request and its number
 * of events in it, and the byte length of the rows that follow. Then the request's `events` rows as `RowBinary`
 * (`eventRowsBinary`; `TabSeparated` text before: index without `ef`), then the `visits` rows its events make on
 * their own (`visitRows`, each `version` the visit's events in this request) as `TabSeparated` text (`visitRowsTsv`;
 * a JSON array before: index without `vf`). The ingest node has the events parsed anyway and does this work once
 * (ingest nodes are many and stateless); a loader copies both parts into ClickHouse as they are and reads only
 * the index. A visit with events elsewhere (another request) is rebuilt by the loader from all its stored events,
 * and that row, of more events, outranks the partial ones (`ReplacingMergeTree(version)`).
 */
export function encodeMessage(message: LogMessage, country = countryLookup()): Uint8Array {
  const rows = eventRows(message);
  const counts = sessionCounts(rows);
  const events = eventRowsBinary(rows);
  const index: MessageIndex = {
    f: 'tsv',
    ef: 'rb',
    site: message.site,
    sessions: [...counts.keys()],
    counts: [...counts.values()],
    eventBytes: events.byteLength,
    rows: VISIT_ROWS_VERSION,
    vf: 'tsv',
  };
  return Buffer.concat([
    Buffer.from(`${JSON.stringify(index)}\n`),
    events,
    Buffer.from(visitRowsTsv(visitRows(message.site, rows, country))),
  ]);
}

/** The first line of a message. */
interface MessageIndex {
  /** The rows' format: `tsv` (messages before it had no index first: three lines of JSON, the index last). */
  f?: 'tsv';
  site: string;
  sessions: string[];
  counts: number[];
  /** Its `events` rows' format: `rb` (`RowBinary`); absent, `TabSeparated` lines (messages before it). */
  ef?: 'rb';
  /** The byte length of the `events` rows after the index. */
  eventBytes?: number;
  /** The `visits` columns its partial rows fill (`VISIT_ROWS_VERSION`; absent before migration 07's). */
  rows?: number;
  /** Its `visits` rows' format: `tsv` (`VISIT_COLUMNS`); absent, a JSON array of row objects (messages before it). */
  vf?: 'tsv';
}

/**
 * The version of the partial `visits` rows a message carries: 7 since they fill migration 07's columns (per-page
 * scroll depth and engaged time, links, goals, events lost). A loader rebuilds from the stored events every visit of
 * a message of an older version (an ingest node not yet upgraded), so no row without those figures stands.
 */
export const VISIT_ROWS_VERSION = 7;

/** A message as a loader uses it. */
export interface DecodedMessage {
  site: string;
  /** Its `events` rows (columns `EVENT_COLUMNS`), as bytes in `eventsFormat`. */
  events: Uint8Array;
  /** `RowBinary`, or `TabSeparated` lines (each ending in a newline) in a message of an ingest node before it. */
  eventsFormat: RowFormat;
  /** Its partial `visits` rows, as bytes: `TabSeparated` lines (columns `VISIT_COLUMNS`), or a JSON array of them. */
  visits: Uint8Array;
  /** The format of `visits`: `tsv`, or `json` in a message of an ingest node before it. */
  visitsFormat: 'tsv' | 'json';
  /** Each visit of the message and its number of events in it. */
  sessions: Map<string, number>;
  /** Whether its partial `visits` rows fill every column of this version (`VISIT_ROWS_VERSION`). */
  current: boolean;
}

const NEWLINE = 0x0a;
const OPEN = 0x5b; /* [ */
const BRACE = 0x7b; /* { */

/**
 * Splits a message into its parts without parsing its rows. A message of an earlier format — three lines of JSON
 * (rows, visits, index), or version 1 (`{"v":1,…}`) — of a stream written before, is parsed and brought to this
 * one; a body that is none of these (written by something else) is reported, not loaded.
 */
export function decodeMessage(data: Uint8Array): DecodedMessage | undefined {
  try {
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const first = bytes.indexOf(NEWLINE);
    if (bytes[0] === BRACE && first > 0) {
      const index = JSON.parse(bytes.subarray(0, first).toString('utf8')) as MessageIndex | null;
      if (index?.f !== 'tsv' || !validIndex(index) || typeof index.eventBytes !== 'number') return undefined;
      // A format this code does not know is never read as another one (`unknownFormatOf`).
      if (unknownPart(index)) return undefined;
      const events = bytes.subarray(first + 1, first + 1 + index.eventBytes);
      const visits = bytes.subarray(first + 1 + index.eventBytes);
      const eventsFormat = index.ef === 'rb' ? 'RowBinary' : 'TabSeparated';
      if (events.byteLength !== index.eventBytes) return undefined;
      if (eventsFormat === 'TabSeparated' && events.byteLength > 0 && events[events.byteLength - 1] !== NEWLINE) return undefined;
      const visitsFormat = index.vf === 'tsv' ? 'tsv' : 'json';
      if (visitsFormat === 'json' ? visits[0] !== OPEN : visits.byteLength > 0 && visits[visits.byteLength - 1] !== NEWLINE)
        return undefined;
      return {
        site: index.site,
        events,
        eventsFormat,
        visits,
        visitsFormat,
        sessions: sessionsOf(index),
        current: index.rows === VISIT_ROWS_VERSION,
      };
    }
    const second = first < 0 ? -1 : bytes.indexOf(NEWLINE, first + 1);
    if (second < 0) return fromVersion1(JSON.parse(bytes.toString('utf8')) as LogMessage | null);
    return fromJsonLines(bytes, first, second);
  } catch {
    return undefined;
  }
}

/** The formats of a message's index this code reads: each part's known values (`undefined`, the part's older form). */
const KNOWN_FORMATS = { f: ['tsv'], ef: [undefined, 'rb'], vf: [undefined, 'tsv'] } as const;

/** The first part of an index whose format is not known here, as `ef=zz`, or undefined. */
function unknownPart(index: object): string | undefined {
  for (const [part, known] of Object.entries(KNOWN_FORMATS)) {
    const value = (index as Record<string, unknown>)[part];
    if (!(known as readonly unknown[]).includes(value)) return `${part}=${String(value)}`;
  }
  return undefined;
}

/**
 * Which format of a message this code does not know, as `ef=zz` (its index names a format of its rows that a newer
 * ingest node writes), or undefined: for a message `decodeMessage` does not read, whether it is another version's,
 * to be left in the log for a loader that reads it, or not a message of this backend at all.
 */
export function unknownFormatOf(data: Uint8Array): string | undefined {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const first = bytes.indexOf(NEWLINE);
  if (bytes[0] !== BRACE || first < 0) return undefined;
  try {
    const index = JSON.parse(bytes.subarray(0, first).toString('utf8')) as unknown;
    if (typeof index !== 'object' || index === null || Array.isArray(index)) return undefined;
    return 'f' in index ? unknownPart(index) : undefined;
  } catch {
    return undefined;
  }
}

const validIndex = (index: MessageIndex | null): index is MessageIndex =>
  typeof index?.site === 'string' && Array.isArray(index.sessions) && Array.isArray(index.counts);

function sessionsOf(index: MessageIndex): Map<string, number> {
  const sessions = new Map<string, number>();
  for (let i = 0; i < index.sessions.length; i++) sessions.set(String(index.sessions[i]), Number(index.counts[i]));
  return sessions;
}

/** A message of the format before this one: its rows as a JSON array, its visits' rows, its index. */
function fromJsonLines(bytes: Buffer, first: number, second: number): DecodedMessage | undefined {
  const index = JSON.parse(bytes.subarray(second + 1).toString('utf8')) as MessageIndex | null;
  if (!validIndex(index) || bytes[0] !== OPEN || bytes[first + 1] !== OPEN) return undefined;
  const rows = JSON.parse(bytes.subarray(0, first).toString('utf8')) as EventRow[];
  return {
    site: index.site,
    events: eventRowsBinary(rows),
    eventsFormat: 'RowBinary',
    visits: bytes.subarray(first + 1, second),
    visitsFormat: 'json',
    sessions: sessionsOf(index),
    current: false,
  };
}

function fromVersion1(v1: LogMessage | null): DecodedMessage | undefined {
  if (v1?.v !== 1 || typeof v1.site !== 'string' || !Array.isArray(v1.events)) return undefined;
  const rows = eventRows(v1);
  return {
    site: v1.site,
    events: eventRowsBinary(rows),
    eventsFormat: 'RowBinary',
    visits: Buffer.from(visitRowsTsv(visitRows(v1.site, rows))),
    visitsFormat: 'tsv',
    sessions: sessionCounts(rows),
    current: true,
  };
}

/** The event ids of a decoded message's rows, as stored: lower case. */
export function eventIdsOf(message: DecodedMessage): string[] {
  return message.eventsFormat === 'RowBinary' ? rowBinaryEventIds(message.events) : tsvEventIds(message.events);
}

/** The third value of each `RowBinary` row of `EVENT_COLUMNS`, the rest skipped. */
function rowBinaryEventIds(bytes: Uint8Array): string[] {
  const ids: string[] = [];
  const rows = rowBinaryReader(bytes);
  while (!rows.done()) {
    rows.string();
    rows.string();
    ids.push(rows.uuid());
    rows.string();
    rows.string();
    rows.skip(INT64_BYTES);
    rows.nullableString();
    rows.nullableString();
    rows.nullableString();
    rows.string();
  }
  return ids;
}

/** The third field of each `TabSeparated` line, lower case. */
function tsvEventIds(bytes: Uint8Array): string[] {
  const ids: string[] = [];
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  for (let start = 0; start < text.length; ) {
    const end = text.indexOf('\n', start);
    const line = text.slice(start, end < 0 ? text.length : end);
    const a = line.indexOf('\t');
    const b = line.indexOf('\t', a + 1);
    const c = line.indexOf('\t', b + 1);
    if (a >= 0 && b > a && c > b) ids.push(line.slice(b + 1, c).toLowerCase());
    start = end < 0 ? text.length : end + 1;
  }
  return ids;
}
