import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ROLLUP_TABLES, type SqlStatement, type TrailmarkEvent, VISIT_CHILD_TABLES } from '@trailmark/protocol';
import Database from 'better-sqlite3';
import { guardStorage } from './errors.js';
import { rebuildIdentities } from './identities.js';
import { migrate } from './migrate.js';
import { createReadPool, type ReadPool } from './read-pool.js';
import { type RedactStoredResult, redactStored } from './redact-stored.js';
import { DEFAULT_ROLLUP_DIMENSIONS, dimensionValue, hourOf, type RollupDimensions } from './rollup-keys.js';
import { backfillVisitRollups, createVisitRollups, storedStatsEvent } from './visit-rollups.js';

/** How an event reached the store. */
export type EventSource = 'batch' | 'track' | 'import';

/** One stored event with what the receiver knows about its arrival. */
export interface StoredEvent {
  event: TrailmarkEvent;
  /** Server-time of the event: `ts` plus the batch's clock-skew correction. */
  ts: number;
  receivedAt: number;
  source: EventSource;
  /** The class of the User-Agent of the request that brought it (`Chrome; Windows; desktop`), never the raw string. */
  userAgent?: string | null | undefined;
}

/** Options of `openStore()`. */
export interface StoreOptions {
  /** Directory of `receiver.db`; ignored with `memory`. */
  dataDir?: string | undefined;
  /** Keep everything in memory (tests, CI): nothing survives `close()`. */
  memory?: boolean | undefined;
  rollupDimensions?: RollupDimensions | undefined;
  /**
   * Threads that read the stats panels, each with its own read-only connection (`read-pool.ts`); default one per
   * core, at most 4. 0 reads them on the calling thread (always so in memory mode: no other connection sees it).
   */
  readThreads?: number | undefined;
}

/** What `insert()` needs besides the events. */
export interface InsertOptions {
  /** Added to each event's `ts` to get server time (from `parseBatch`). */
  skewMs: number;
  receivedAt: number;
  source: EventSource;
  /** The class of the request's User-Agent (`agentClass`); the raw header is never stored. */
  userAgent?: string | null | undefined;
}

/** Filters of `listEvents()`. */
export interface EventQuery {
  siteId?: string | undefined;
  type?: string | undefined;
  sessionId?: string | undefined;
  eventId?: string | undefined;
  /** Inclusive bounds on server-time `ts`. */
  fromTs?: number | undefined;
  toTs?: number | undefined;
  limit: number;
  /** `arrival`: oldest stored first (inspection); `newest`: latest `ts` first, with keyset cursor. */
  order: 'arrival' | 'newest';
  /** From a previous page's `nextCursor` (order `newest` only). */
  after?: { ts: number; id: number } | undefined;
}

/** One hour's counts for one site. */
export interface RollupRow {
  hour: number;
  totalEvents: number;
  uniqueSessions: number;
  eventCounts: Record<string, number>;
  /** Output dimension name → value → count. */
  dimensions: Record<string, Record<string, number>>;
}

/** The receiver's embedded database: raw events by `event_id` plus hourly rollups. */
export interface EventStore {
  /** Where the database lives (`:memory:` in memory mode). */
  readonly location: string;
  readonly dimensions: RollupDimensions;
  /**
   * Stores a batch in ONE transaction, rollups included; a repeat `event_id` is ignored.
   * Returns the ids this call newly inserted. Throws `StorageError` (and stores nothing) when SQLite fails.
   */
  insert(events: readonly TrailmarkEvent[], options: InsertOptions): Set<string>;
  /**
   * Stores several batches in ONE transaction (group commit: one fsync for all of them). Each batch is wholly in
   * or, if the transaction fails, wholly out. Returns each batch's newly inserted ids, in order.
   */
  insertBatches(batches: ReadonlyArray<{ events: readonly TrailmarkEvent[]; options: InsertOptions }>): Set<string>[];
  listEvents(query: EventQuery): { events: StoredEvent[]; nextCursor: { ts: number; id: number } | null };
  /** Which of these (lower-cased) event ids of a site are stored: the answer to the SDK's check. */
  storedIds(siteId: string, ids: readonly string[]): string[];
  /** Events of a site in a time range (of one type, when given). */
  countEvents(siteId: string, fromTs: number, toTs: number, type?: string): number;
  rollups(siteId: string, fromHour: number, toHour: number): RollupRow[];
  /** Rows of a query over the per-visit rollups (a stats panel's `panelSql()`). */
  visitRows(statement: SqlStatement): Array<Record<string, unknown>>;
  /** The same, read on a reader thread when the store has them (a file database), so panels run side by side. */
  readVisitRows(statement: SqlStatement): Promise<Array<Record<string, unknown>>>;
  /** Distinct sessions across the hours (a session spanning hours counts once). */
  totalSessions(siteId: string, fromHour: number, toHour: number): number;
  /** Rows older than the cutoffs go, a chunk at a time (so one call never blocks for long). */
  deleteChunk(rawBefore: number, rollupBefore: number, chunk: number): { events: number; rollups: number };
  /** Per-type counts of everything stored (optionally for one site). */
  typeCounts(siteId?: string): Record<string, number>;
  /** Raw rows for the live page's summary: `[path, referrer, props]` of recent events of some types. */
  recent(siteId: string, fromTs: number, types: readonly string[], max: number): StoredEvent[];
  /** Today's privacy rules over everything stored before them (`trailmark-receiver redact`). */
  redactStored(): RedactStoredResult;
  /** Throws `StorageError` when the database cannot answer (health check). */
  ping(): void;
  /** Empties every table (inspection reset). */
  reset(): void;
  close(): void;
}

const VISIT_TABLES = ['visits', ...VISIT_CHILD_TABLES];

type Counts = Map<string, [site: string, hour: number, dimension: string, key: string, count: number]>;
type Fresh = Array<ReturnType<typeof storedStatsEvent>>;
type Sessions = Map<string, [site: string, hour: number, session: string]>;

interface Row {
  id: number;
  data: string;
  ts: number;
  received_at: number;
  source: EventSource;
  user_agent: string | null;
}

/**
 * Opens (creating and migrating) the store. Durable settings: WAL with `synchronous=FULL`, so a
 * committed batch survives power loss, and a crash mid-batch leaves no part of it.
 */
export function openStore(options: StoreOptions = {}): EventStore {
  const dimensions = options.rollupDimensions ?? DEFAULT_ROLLUP_DIMENSIONS;
  let location = ':memory:';
  if (!options.memory) {
    const dir = options.dataDir ?? join(process.cwd(), '.data', 'receiver');
    mkdirSync(dir, { recursive: true });
    location = join(dir, 'receiver.db');
  }
  const db = new Database(location);
  applyPragmas(db);
  // The stats panels scan and sort a range's visits (255,000 at a million events): 64 MiB of page cache and
  // in-memory sorts keep that off the disk (at the 2 MiB default a 30-day view re-read its pages per panel). With
  // reader threads (below) the panels read through their connections, each with its own cache, and this one
  // serves ingest: 16 MiB, so that the process stays well under 512 MiB while answering.
  const threads = options.memory ? 0 : (options.readThreads ?? Math.min(4, availableParallelism()));
  db.pragma(`cache_size = -${threads > 0 ? 16_384 : 65_536}`);
  db.pragma('temp_store = MEMORY');
  // The rollups are filled from the stored events once their schema is whole (migration 006 adds the visitor keys
  // the rollup statements write): after 006, when 005 ran in this same call.
  let rollupsCreated = false;
  migrate(db, undefined, {
    '005_visit_rollups.sql': () => {
      rollupsCreated = true;
    },
    '006_visitor_keys.sql': (migrating) => {
      if (rollupsCreated) backfillVisitRollups(migrating);
    },
  });
  const visitRollups = createVisitRollups(db);
  const visitRows = ({ sql, params }: SqlStatement) =>
    guardStorage('reading visit rollups', () => db.prepare(sql).all(...params) as Array<Record<string, unknown>>);
  const readers = threads > 0 ? createReadPool({ location, threads, cacheKib: 49_152 }) : undefined;
  // Identical reads in flight at once share one answer: the dashboard's first screen asks the budget's count of the
  // same range for each of its panels, and the scroll-depth and engaged-time panels run the same query. Keyed by
  // the statement and the rows this connection (the only writer) has changed, so a read never shares an answer
  // begun before a write it follows.
  const changes = db.prepare('SELECT total_changes()').pluck();
  const reading = new Map<string, Promise<Array<Record<string, unknown>>>>();
  const readShared = (pool: ReadPool, statement: SqlStatement) => {
    const key = `${db.open ? changes.get() : 'closed'}\u0000${statement.sql}\u0000${JSON.stringify(statement.params)}`;
    let answer = reading.get(key);
    if (!answer) {
      answer = pool.rows(statement).finally(() => reading.delete(key));
      reading.set(key, answer);
    }
    return answer;
  };

  const insertEvent = db.prepare(
    `INSERT INTO events (event_id, site_id, type, session_id, ts, received_at, source, data, user_agent)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(event_id) DO NOTHING`,
  );
  const bumpRollup = db.prepare(
    `INSERT INTO rollups (site_id, hour, dimension, key, count) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(site_id, hour, dimension, key) DO UPDATE SET count = count + excluded.count`,
  );
  const addSession = db.prepare('INSERT INTO rollup_sessions (site_id, hour, session_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');

  const dimensionList = Object.entries(dimensions);
  // Rollup counts of one transaction, gathered in memory and written once per (site, hour, dimension, key).
  const insertOne = (events: readonly TrailmarkEvent[], opts: InsertOptions, counts: Counts, sessions: Sessions, fresh: Fresh) => {
    const inserted = new Set<string>();
    const bump = (site: string, hour: number, dimension: string, key: string) => {
      const id = `${site}\u0000${hour}\u0000${dimension}\u0000${key}`;
      const entry = counts.get(id);
      if (entry) entry[4]++;
      else counts.set(id, [site, hour, dimension, key, 1]);
    };
    for (const event of events) {
      const ts = event.ts + opts.skewMs;
      const info = insertEvent.run(
        event.event_id,
        event.site_id,
        event.type,
        event.session_id,
        ts,
        opts.receivedAt,
        opts.source,
        JSON.stringify(event),
        opts.userAgent?.slice(0, 512) ?? null,
      );
      if (info.changes === 0) continue;
      inserted.add(event.event_id);
      fresh.push(storedStatsEvent(event, ts, opts.userAgent?.slice(0, 512) ?? null));
      const hour = hourOf(ts);
      bump(event.site_id, hour, 'total', '');
      bump(event.site_id, hour, 'type', event.type);
      for (const [name, field] of dimensionList) {
        const value = dimensionValue(event, field);
        if (value !== undefined) bump(event.site_id, hour, `dim:${name}`, value);
      }
      sessions.set(`${event.site_id}\u0000${hour}\u0000${event.session_id}`, [event.site_id, hour, event.session_id]);
    }
    return inserted;
  };
  const writeRollups = (counts: Counts, sessions: Sessions) => {
    // A batch mostly repeats a few sessions and hours, so the rollup writes are few per transaction.
    for (const [site, hour, session] of sessions.values()) {
      if (addSession.run(site, hour, session).changes > 0) {
        const id = `${site}\u0000${hour}\u0000sessions\u0000`;
        const entry = counts.get(id);
        if (entry) entry[4]++;
        else counts.set(id, [site, hour, 'sessions', '', 1]);
      }
    }
    for (const row of counts.values()) bumpRollup.run(...row);
  };
  const insertTx = db.transaction((batches: ReadonlyArray<{ events: readonly TrailmarkEvent[]; options: InsertOptions }>) => {
    const counts: Counts = new Map();
    const sessions: Sessions = new Map();
    const fresh: Fresh = [];
    const results = batches.map((batch) => insertOne(batch.events, batch.options, counts, sessions, fresh));
    writeRollups(counts, sessions);
    visitRollups.add(fresh);
    return results;
  });

  const toStored = (row: Row): StoredEvent => ({
    event: JSON.parse(row.data) as TrailmarkEvent,
    ts: row.ts,
    receivedAt: row.received_at,
    source: row.source,
    userAgent: row.user_agent,
  });

  return {
    location,
    dimensions,
    insert(events, opts) {
      if (events.length === 0) return new Set();
      return guardStorage('storing the batch', () => insertTx([{ events, options: opts }]))[0] as Set<string>;
    },
    insertBatches(batches) {
      if (batches.length === 0) return [];
      return guardStorage('storing the batch', () => insertTx(batches));
    },
    listEvents(query) {
      const where: string[] = [];
      const params: Array<string | number> = [];
      const add = (sql: string, value: string | number | undefined) => {
        if (value === undefined) return;
        where.push(sql);
        params.push(value);
      };
      add('site_id = ?', query.siteId);
      add('type = ?', query.type);
      add('session_id = ?', query.sessionId);
      add('event_id = ?', query.eventId);
      add('ts >= ?', query.fromTs);
      add('ts <= ?', query.toTs);
      if (query.order === 'newest' && query.after) {
        where.push('(ts, id) < (?, ?)');
        params.push(query.after.ts, query.after.id);
      }
      const order = query.order === 'newest' ? 'ts DESC, id DESC' : 'id ASC';
      const sql = `SELECT id, data, ts, received_at, source, user_agent FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY ${order} LIMIT ?`;
      const rows = guardStorage('listing events', () => db.prepare(sql).all(...params, query.limit + 1) as Row[]);
      const page = rows.slice(0, query.limit);
      const last = page[page.length - 1];
      const nextCursor = rows.length > query.limit && last ? { ts: last.ts, id: last.id } : null;
      return { events: page.map(toStored), nextCursor };
    },
    storedIds(siteId, ids) {
      if (!ids[0]) return [];
      return guardStorage('checking event ids', () =>
        (
          db
            .prepare(`SELECT event_id FROM events WHERE site_id = ? AND event_id IN (${ids.map(() => '?').join(',')})`)
            .all(siteId, ...ids) as Array<{ event_id: string }>
        ).map((row) => row.event_id),
      );
    },
    countEvents(siteId, fromTs, toTs, type) {
      return guardStorage('counting events', () => {
        const row =
          type === undefined
            ? db.prepare('SELECT count(*) AS n FROM events WHERE site_id = ? AND ts >= ? AND ts <= ?').get(siteId, fromTs, toTs)
            : db
                .prepare('SELECT count(*) AS n FROM events WHERE site_id = ? AND ts >= ? AND ts <= ? AND type = ?')
                .get(siteId, fromTs, toTs, type);
        return (row as { n: number }).n;
      });
    },
    rollups(siteId, fromHour, toHour) {
      const rows = guardStorage(
        'reading rollups',
        () =>
          db
            .prepare('SELECT hour, dimension, key, count FROM rollups WHERE site_id = ? AND hour >= ? AND hour <= ? ORDER BY hour')
            .all(siteId, fromHour, toHour) as Array<{ hour: number; dimension: string; key: string; count: number }>,
      );
      const byHour = new Map<number, RollupRow>();
      for (const row of rows) {
        let entry = byHour.get(row.hour);
        if (!entry) {
          entry = { hour: row.hour, totalEvents: 0, uniqueSessions: 0, eventCounts: {}, dimensions: {} };
          for (const name of Object.keys(dimensions)) entry.dimensions[name] = {};
          byHour.set(row.hour, entry);
        }
        if (row.dimension === 'total') entry.totalEvents = row.count;
        else if (row.dimension === 'sessions') entry.uniqueSessions = row.count;
        else if (row.dimension === 'type') entry.eventCounts[row.key] = row.count;
        else if (row.dimension.startsWith('dim:')) {
          const name = row.dimension.slice(4);
          const dim = entry.dimensions[name] ?? {};
          dim[row.key] = row.count;
          entry.dimensions[name] = dim;
        }
      }
      return [...byHour.values()];
    },
    visitRows,
    async readVisitRows(statement) {
      return readers ? readShared(readers, statement) : visitRows(statement);
    },
    totalSessions(siteId, fromHour, toHour) {
      return guardStorage('counting sessions', () => {
        const row = db
          .prepare('SELECT count(DISTINCT session_id) AS n FROM rollup_sessions WHERE site_id = ? AND hour >= ? AND hour <= ?')
          .get(siteId, fromHour, toHour);
        return (row as { n: number }).n;
      });
    },
    deleteChunk(rawBefore, rollupBefore, chunk) {
      return guardStorage('retention cleanup', () =>
        db.transaction(() => {
          const events = db
            .prepare('DELETE FROM events WHERE id IN (SELECT id FROM events WHERE ts < ? LIMIT ?)')
            .run(rawBefore, chunk).changes;
          const rollups = db
            .prepare(
              `DELETE FROM rollups WHERE (site_id, hour, dimension, key) IN
               (SELECT site_id, hour, dimension, key FROM rollups WHERE hour < ? LIMIT ?)`,
            )
            .run(rollupBefore, chunk).changes;
          const sessions = db
            .prepare(
              `DELETE FROM rollup_sessions WHERE (site_id, hour, session_id) IN
               (SELECT site_id, hour, session_id FROM rollup_sessions WHERE hour < ? LIMIT ?)`,
            )
            .run(rollupBefore, chunk).changes;
          // Visits go with the hourly rollups: the dashboard keeps showing what raw retention took.
          let visits = 0;
          for (const table of VISIT_TABLES) {
            visits += db
              .prepare(`DELETE FROM ${table} WHERE (site_id, session_id) IN
                  (SELECT site_id, session_id FROM ${table} WHERE start_ts < ? LIMIT ?)`)
              .run(rollupBefore, chunk).changes;
          }
          for (const table of ['visit_seq', 'drop_reports']) {
            visits += db
              .prepare(`DELETE FROM ${table} WHERE (site_id, ts) IN (SELECT site_id, ts FROM ${table} WHERE ts < ? LIMIT ?)`)
              .run(rollupBefore, chunk).changes;
          }
          // An identity (migration 007) goes once its identification is as old as the visits kept: a user id is
          // kept no longer than the visits it joins. A visitor identified again since keeps its identity from its
          // earliest identification still stored (a rebuilt row is newer than the cutoff, so never chosen again).
          const identities = db
            .prepare('SELECT site_id, visitor_id FROM visitor_users WHERE ts < ? LIMIT ?')
            .raw()
            .all(rollupBefore, chunk) as Array<[string, string]>;
          rebuildIdentities(db, identities, rollupBefore);
          visits += identities.length;
          // A visit's fold state goes with its row, and a visitor's key with its last visit.
          visits += db
            .prepare(
              `DELETE FROM visit_states WHERE (site_id, session_id) IN (SELECT s.site_id, s.session_id FROM visit_states s
               WHERE NOT EXISTS (SELECT 1 FROM visits v WHERE v.site_id = s.site_id AND v.session_id = s.session_id) LIMIT ?)`,
            )
            .run(chunk).changes;
          visits += db
            .prepare(
              `DELETE FROM visitor_keys WHERE key IN (SELECT k.key FROM visitor_keys k
               WHERE NOT EXISTS (SELECT 1 FROM visits v WHERE v.visitor_key = k.key) LIMIT ?)`,
            )
            .run(chunk).changes;
          return { events, rollups: rollups + sessions + visits };
        })(),
      );
    },
    typeCounts(siteId) {
      return guardStorage('counting types', () => {
        const rows = (
          siteId === undefined
            ? db.prepare('SELECT type, count(*) AS n FROM events GROUP BY type').all()
            : db.prepare('SELECT type, count(*) AS n FROM events WHERE site_id = ? GROUP BY type').all(siteId)
        ) as Array<{ type: string; n: number }>;
        return Object.fromEntries(rows.map((row) => [row.type, row.n]));
      });
    },
    recent(siteId, fromTs, types, max) {
      const marks = types.map(() => '?').join(', ');
      const rows = guardStorage(
        'reading recent events',
        () =>
          db
            .prepare(
              `SELECT id, data, ts, received_at, source, user_agent FROM events WHERE site_id = ? AND ts >= ? AND type IN (${marks})
               ORDER BY ts DESC LIMIT ?`,
            )
            .all(siteId, fromTs, ...types, max) as Row[],
      );
      return rows.map(toStored);
    },
    redactStored: () => guardStorage('redacting stored events', () => redactStored(db)),
    ping() {
      guardStorage('health check', () => db.prepare('SELECT 1').get());
    },
    reset() {
      guardStorage('reset', () =>
        db.exec(
          `DELETE FROM events; DELETE FROM rollups; DELETE FROM rollup_sessions; DELETE FROM visitor_users; ${ROLLUP_TABLES.map((table) => `DELETE FROM ${table};`).join(' ')}`,
        ),
      );
    },
    close() {
      readers?.close();
      if (db.open) db.close();
    },
  };
}

/** The durable settings, shared with the benchmark's storage ceiling so both measure the same engine. */
export function applyPragmas(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  // Another process (the import command) may hold the write lock for a moment.
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
}
