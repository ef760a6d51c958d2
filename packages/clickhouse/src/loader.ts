import { createHash } from 'node:crypto';
import type { JsMsg } from '@nats-io/jetstream';
import type { EventLog } from './event-log.js';
import { decodeMessage, EVENT_COLUMNS, unknownFormatOf } from './message.js';
import type { ChStore, RowFormat } from './store.js';
import { type StoredEvent, type VisitRow, visitRows } from './visit-rows.js';
import { VISIT_COLUMNS, visitRowsTsv } from './visit-rows-tsv.js';

/** Options of `startLoader()`. */
export interface LoaderOptions {
  log: EventLog;
  store: ChStore;
  /**
   * Most messages taken per batch (default 1000; a message is one request, 1 to 1000 events: a site's SDKs send a few
   * events a request, so a batch of a thousand of them makes an insert of thousands to tens of thousands of rows). A
   * loader takes up to this many ahead of its inserts, so a small figure spreads a stream over loaders.
   */
  batchMessages?: number;
  /** Most bytes of messages taken per batch (default 32 MiB): a batch of large requests stops here. */
  batchBytes?: number;
  /**
   * Most messages the consumer pulls ahead of the batch being taken (default 250, at most `batchMessages`). The
   * server holds at most 64 MiB on its way to a client and drops the connection's messages past that ("slow
   * consumer"); they then come back only after the ack wait (30 s). At a thousand messages of about 60 KB (100-event
   * requests) the bench's loader met that in about half its runs, a drain of 5 s taking 32 s.
   */
  readAheadMessages?: number;
  /**
   * Most batches loading at once (default 2): a batch's inserts run on ClickHouse's threads, one insert at a time
   * each, so a second batch loading beside it uses another core.
   */
  parallelLoads?: number;
  /** How long the loader waits for more messages before it loads a batch that is not full, ms (default 20). */
  lingerMs?: number;
  /**
   * How long a batch keeps taking messages after its first, ms (default 1000): under a steady trickle that never
   * leaves `lingerMs` of silence, a batch is loaded after this at the latest (freshness).
   */
  maxWaitMs?: number;
  /**
   * Fault injection for the cluster test and the docs' demonstration of redelivery: hold each batch this long
   * after its inserts and before its acks (default 0).
   */
  holdBeforeAckMs?: number;
  /**
   * How long a message in a format this loader does not know (a newer ingest node's) waits before the stream hands it
   * out again, ms (default 30 s): never acked, it stays in the log for a loader that knows the format.
   */
  unknownFormatRetryMs?: number;
  /** Called once a batch is inserted and again once acked (progress lines of the CLI). */
  onBatch?: (stage: 'inserted' | 'acked', events: number, messages: number, redelivered: number) => void;
  say?: (line: string) => void;
}

/** A running loader. */
export interface Loader {
  readonly counters: {
    batches: number;
    events: number;
    redelivered: number;
    failures: number;
    /** Messages that are no message of this backend (written by something else): acked, nothing stored. */
    skipped: number;
    /**
     * Deliveries of messages in a format this loader does not know (a newer ingest node's), each left unacked for
     * redelivery: not zero means a loader needs upgrading (see docs/backends/clickhouse.md).
     */
    unknownFormat: number;
  };
  /** Stops taking batches; resolves once the batch in hand is acked (or left to redelivery). */
  stop(): Promise<void>;
}

/**
 * Loads one batch of log messages, then — only then — the caller acks:
 * 1. inserts their events in ONE insert of the messages' own bytes (a message carries its `events` rows as
 *    `RowBinary`: the loader never parses nor serialises an event), deduplicated by a token derived from those bytes
 *    (messages of older ingest nodes, their rows `TabSeparated` lines, in one more insert);
 * 2. inserts the partial `visits` rows the ingest nodes computed, again as they are, and rebuilds from all its
 *    stored events each visit those rows may not tell whole: one whose stored events (counted by one `GROUP BY`
 *    over the batch's visits, repeats included) are more than this message's, i.e. with events loaded by another
 *    batch or message, or loaded twice after a redelivery. The rebuilt row, of more events, outranks the partial
 *    ones (`ReplacingMergeTree(version)`); of several loaders loading parts of one visit at once, the one that
 *    inserted last counts every part and writes the row of all of them. Every visit of a message an older ingest
 *    node wrote (its rows without migration 07's columns) is rebuilt, its partial rows left out.
 * Killed at any point before the ack, the messages are redelivered and loading them again stores nothing twice.
 * A message in a format this code does not know (`unknownFormatOf`: a newer ingest node's) is loaded not at all and
 * returned in `unknown`, for the caller to leave unacked; one that is no message of this backend is counted in
 * `skipped`.
 */
export async function loadBatch(
  store: ChStore,
  messages: ReadonlyArray<{ seq: number; data: Uint8Array }>,
): Promise<{ events: number; skipped: number; unknown: Array<{ seq: number; format: string }> }> {
  // The messages' `events` rows by their format: `RowBinary`, and `TabSeparated` from ingest nodes of before it.
  const events: Record<RowFormat, Uint8Array[]> = { RowBinary: [], TabSeparated: [] };
  // The messages' partial `visits` rows: `TabSeparated` lines, and JSON arrays from ingest nodes of before them.
  const partial: Uint8Array[] = [];
  const partialJson: Uint8Array[] = [];
  // By site, each visit's events in the one message that has it, or -1 when two messages of the batch have it.
  const touched = new Map<string, Map<string, number>>();
  let skipped = 0;
  let count = 0;
  // Messages of a format this code does not know: loaded by nothing here, for the caller to leave unacked.
  const unknown: Array<{ seq: number; format: string }> = [];
  for (const { seq, data } of messages) {
    const message = decodeMessage(data);
    if (!message) {
      const format = unknownFormatOf(data);
      if (format) unknown.push({ seq, format });
      else skipped++;
      continue;
    }
    if (message.sessions.size === 0) continue;
    events[message.eventsFormat].push(message.events);
    // The rows of an older ingest node lack columns (ClickHouse refuses a `pages` whose new arrays are missing):
    // left out, as every visit of such a message is rebuilt below.
    if (message.current) (message.visitsFormat === 'tsv' ? partial : partialJson).push(message.visits);
    const sessions = touched.get(message.site) ?? new Map<string, number>();
    touched.set(message.site, sessions);
    for (const [session, n] of message.sessions) {
      // A message of an older ingest node: its partial rows lack columns, so each of its visits is rebuilt.
      sessions.set(session, sessions.has(session) || !message.current ? -1 : n);
      count += n;
    }
  }
  // The token is the rows' own digest: the very same rows again store nothing, while rows of another stream (or of
  // a stream created again, its sequences restarting) can never be taken for them.
  for (const format of ['RowBinary', 'TabSeparated'] as const) {
    if (events[format].length === 0) continue;
    const digest = createHash('sha256');
    for (const part of events[format]) digest.update(part);
    await store.insertRows('events', EVENT_COLUMNS, format, events[format], `events:${digest.digest('hex')}`);
  }
  const rebuilt: VisitRow[] = [];
  for (const [site, sessions] of touched) {
    const counts = await store.query<{ s: string; n: number | string }>(
      `SELECT session_id AS s, count() AS n FROM events
       WHERE site_id = {site:String} AND session_id IN {sessions:Array(String)} GROUP BY session_id`,
      { site, sessions: [...sessions.keys()] },
    );
    const spread = counts.filter((row) => Number(row.n) !== sessions.get(row.s)).map((row) => row.s);
    if (spread.length === 0) continue;
    const stored = await store.query<Omit<StoredEvent, 'raw'> & { raw: string }>(
      `SELECT session_id, toString(event_id) AS event_id, ts, browser, os, agent_device, raw FROM events FINAL
       WHERE site_id = {site:String} AND session_id IN {sessions:Array(String)}`,
      { site, sessions: spread },
    );
    for (const row of visitRows(site, storedEvents(stored))) rebuilt.push(row);
  }
  if (rebuilt.length > 0) partial.push(Buffer.from(visitRowsTsv(rebuilt)));
  await store.insertRows('visits', VISIT_COLUMNS, 'TabSeparated', partial);
  if (partialJson.length > 0) await store.insertJsonArrays('visits', partialJson);
  return { events: count, skipped, unknown };
}

/** Events read back from `events`, their `raw` parsed. */
function* storedEvents(rows: ReadonlyArray<Omit<StoredEvent, 'raw'> & { raw: string }>): Iterable<StoredEvent> {
  for (const row of rows) yield { ...row, raw: JSON.parse(row.raw) as StoredEvent['raw'] };
}

/**
 * A loader: a durable pull consumer of the log with explicit acks, any number of them side by side (the stream
 * hands each message to one of them; a message not acked within the consumer's ack wait goes to another).
 */
export function startLoader(options: LoaderOptions): Loader {
  const { log, store } = options;
  const say = options.say ?? (() => undefined);
  const counters = { batches: 0, events: 0, redelivered: 0, failures: 0, skipped: 0, unknownFormat: 0 };
  const unknownRetryMs = options.unknownFormatRetryMs ?? 30_000;
  // Each unknown format is said once (a message of it comes back every `unknownRetryMs`), then only counted.
  const formatsSaid = new Set<string>();
  const max = options.batchMessages ?? 1000;
  const maxBytes = options.batchBytes ?? 32 * 1024 * 1024;
  const readAhead = Math.max(1, Math.min(max, options.readAheadMessages ?? 250));
  const parallel = Math.max(1, options.parallelLoads ?? 2);
  let running = true;
  let stopConsuming: (() => void) | undefined;
  const consumeRound = async () => {
    const consumer = await log.js.consumers.get(log.stream, log.durable);
    const ackWaitMs = ((await consumer.info(true)).config.ack_wait ?? 30e9) / 1e6;
    const beatMs = Math.max(250, Math.floor(ackWaitMs / 3));
    // A few hundred messages pulled ahead (`readAheadMessages`), so the batch being taken fills without a round trip
    // per message; the client pulls more only as the batch takes them, so no more wait in its buffer, their ack
    // waits running. Bounded in messages (JetStream takes a bound in messages or in bytes, not both): with a bound in
    // bytes the cluster test's run did not drain after the stream leader's kill, and that was not looked into further.
    const messages = await consumer.consume({ max_messages: readAhead });
    stopConsuming = () => void messages.stop();
    if (!running) stopConsuming();
    const take = batcher(messages[Symbol.asyncIterator](), {
      max,
      maxBytes,
      lingerMs: options.lingerMs ?? 20,
      maxWaitMs: options.maxWaitMs ?? 1000,
    });
    // Loads one batch, then acks it (or leaves it to redelivery); never rejects.
    const loadAndAck = async (batch: JsMsg[]) => {
      // While the batch loads, its messages are reported in progress a few times per ack wait: a large batch on a
      // loaded machine can take longer than the ack wait, and the stream would hand it out again meanwhile (to be
      // stored once all the same, at the cost of loading it twice). A loader killed stops reporting: the ack wait
      // runs out and the batch goes to another loader.
      // The first report at once: the batch's messages may have waited in the consumer's buffer while the batch
      // before loaded, their ack waits running all the while.
      const report = () => {
        for (const m of batch) m.working();
      };
      report();
      const beat = setInterval(report, beatMs);
      try {
        const result = await loadBatch(
          store,
          batch.map((m) => ({ seq: m.seq, data: m.data })),
        ).finally(() => clearInterval(beat));
        const redelivered = batch.filter((m) => m.redelivered).length;
        options.onBatch?.('inserted', result.events, batch.length, redelivered);
        if (options.holdBeforeAckMs) await new Promise((resolve) => setTimeout(resolve, options.holdBeforeAckMs));
        // Acks without a reply each (`ackAck` is a request per message: about 1 of the 2.5-3.5 CPU-µs an event of
        // receiving 100-event messages, measured draining 100,000 events at load 16-17), then one round trip that
        // returns once the server has read them all. An ack lost on the way (the connection dropped) only brings
        // its message back after the ack wait, to be loaded again and stored once all the same.
        // A message of a format this loader does not know is never acked: the stream hands it out again after
        // a while, to this loader or to an upgraded one, which stores it.
        const unknown = new Set(result.unknown.map((u) => u.seq));
        for (const { format } of result.unknown) {
          if (formatsSaid.has(format)) continue;
          formatsSaid.add(format);
          say(
            `a message in a format this loader does not know (${format}, a newer ingest node's?) is left unacked, handed out again every ${unknownRetryMs / 1000} s until a loader that knows it stores it: upgrade this loader`,
          );
        }
        for (const m of batch) {
          if (unknown.has(m.seq)) m.nak(unknownRetryMs);
          else m.ack();
        }
        await log.nc.flush();
        counters.batches++;
        counters.events += result.events;
        counters.skipped += result.skipped;
        counters.unknownFormat += unknown.size;
        counters.redelivered += redelivered;
        options.onBatch?.('acked', result.events, batch.length, redelivered);
      } catch (error) {
        // Not acked: the stream delivers the batch again (here after a second, or to another loader).
        counters.failures++;
        say(`loading a batch failed (it will be redelivered): ${(error as Error).message}`);
        for (const m of batch) m.nak(1000);
        if (running) await new Promise((resolve) => setTimeout(resolve, 500));
      }
    };
    // Up to `parallelLoads` batches load at once, as that many loaders would (each batch inserts its events, then
    // brings its visits up to date; of two loading parts of one visit, the one that inserted last counts both), and
    // the next batch is taken meanwhile: receiving and splitting messages is the loader's JavaScript, an insert is
    // ClickHouse's threads (chDB's calls do not hold the event loop), so the three overlap. Measured with one load at
    // a time and nothing taken meanwhile: between two loads the loader sat 110-315 ms pulling the next 700 messages
    // 250 at a time (about a fifth of a drain's wall clock at load 5), and one load's inserts used one core at most.
    const loads = new Set<Promise<void>>();
    const room = () => (loads.size < parallel ? undefined : Promise.race(loads));
    let next = take(undefined);
    try {
      while (running) {
        const batch = await next;
        if (batch.length === 0) break;
        while (loads.size >= parallel) await Promise.race(loads);
        if (!running) break;
        const loading = loadAndAck(batch);
        loads.add(loading);
        void loading.then(() => loads.delete(loading));
        next = take(room());
      }
    } finally {
      // Stopping (or the subscription failing): what was taken and not loaded goes back to the stream at once, for
      // this loader's next round or another loader, rather than after the ack wait.
      void messages.stop();
      for (const m of await next) m.nak();
      await Promise.all(loads);
    }
  };
  // Each round subscribes (the consumer's info and a pull subscription, both JetStream API requests that time out
  // while a cluster elects a leader or the machine is loaded) and loads until the subscription ends; a failure is
  // reported and the round starts again, so a loader never dies of the log being slow or away for a while.
  const done = (async () => {
    while (running) {
      try {
        await consumeRound();
      } catch (error) {
        counters.failures++;
        say(`the log's consumer failed (subscribing again): ${(error as Error).message}`);
      }
      if (running) await new Promise((resolve) => setTimeout(resolve, 500));
    }
  })();
  return {
    counters,
    async stop() {
      running = false;
      stopConsuming?.();
      await done.catch(() => undefined);
    },
  };
}

/**
 * Takes batches from a message iterator: waits for a first message, then takes what keeps arriving until `max`
 * messages, `maxBytes` of them, `lingerMs` without one, or `maxWaitMs` after the first. An empty batch: the iterator
 * ended.
 */
function batcher(
  iterator: AsyncIterator<JsMsg>,
  limits: { max: number; maxBytes: number; lingerMs: number; maxWaitMs: number },
): (busy: Promise<unknown> | undefined) => Promise<JsMsg[]> {
  let pending: Promise<IteratorResult<JsMsg>> | undefined;
  const idle = Symbol('idle');
  const free = Symbol('free');
  return async (busy) => {
    const batch: JsMsg[] = [];
    let bytes = 0;
    let deadline = Number.POSITIVE_INFINITY;
    // While the batch before loads, this one could not load anyway: it keeps taking whatever arrives until it is
    // full or that load ends, and only then do the linger and the deadline apply.
    let loading: Promise<typeof free> | undefined = busy?.then(
      () => free,
      () => free,
    );
    while (batch.length < limits.max && bytes < limits.maxBytes) {
      pending ??= iterator.next();
      if (loading && batch.length > 0) {
        const next = await Promise.race([pending, loading]);
        if (next === free) {
          loading = undefined;
          continue;
        }
        pending = undefined;
        if (next.done) break;
        batch.push(next.value);
        bytes += next.value.data.byteLength;
        continue;
      }
      const wait = Math.min(limits.lingerMs, deadline - Date.now());
      if (batch.length > 0 && wait <= 0) break;
      const next =
        batch.length === 0
          ? await pending
          : await Promise.race([pending, new Promise<typeof idle>((resolve) => setTimeout(resolve, wait, idle))]);
      if (next === idle) break;
      pending = undefined;
      if (next.done) break;
      if (batch.length === 0) deadline = Date.now() + limits.maxWaitMs;
      batch.push(next.value);
      bytes += next.value.data.byteLength;
    }
    return batch;
  };
}
