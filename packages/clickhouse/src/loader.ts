import { createHash } from 'node:crypto';
import type { JsMsg } from '@nats-io/jetstream';
import type { EventLog } from './event-log.js';
import { decodeMessage, type LogMessage } from './message.js';
import type { ChStore } from './store.js';
import { type StoredEvent, visitRows } from './visit-rows.js';

/** Options of `startLoader()`. */
export interface LoaderOptions {
  log: EventLog;
  store: ChStore;
  /** Most messages taken per batch (default 500; a message is one request, up to 1000 events). */
  batchMessages?: number;
  /** How long the loader waits for more messages before it loads a batch that is not full, ms (default 20). */
  lingerMs?: number;
  /**
   * Fault injection for the cluster test and the docs' demonstration of redelivery: hold each batch this long
   * after its inserts and before its acks (default 0).
   */
  holdBeforeAckMs?: number;
  /** Called once a batch is inserted and again once acked (progress lines of the CLI). */
  onBatch?: (stage: 'inserted' | 'acked', events: number, messages: number, redelivered: number) => void;
  say?: (line: string) => void;
}

/** A running loader. */
export interface Loader {
  readonly counters: { batches: number; events: number; redelivered: number; failures: number; skipped: number };
  /** Stops taking batches; resolves once the batch in hand is acked (or left to redelivery). */
  stop(): Promise<void>;
}

/** The events table's row of an event. */
function eventRow(message: LogMessage, event: LogMessage['events'][number]) {
  return {
    site_id: message.site,
    session_id: event.session_id,
    event_id: event.event_id,
    visitor_id: event.visitor_id,
    type: event.type,
    ts: event.ts + message.skewMs,
    browser: message.browser,
    os: message.os,
    device: message.device ?? null,
    raw: JSON.stringify(event),
  };
}

/**
 * Loads one batch of log messages: inserts their events (one INSERT, deduplicated by a token derived from the
 * messages' stream sequences), then rebuilds the row of every visit the batch touched from all of that visit's stored
 * events, then — only then — the caller acks. Killed at any point before the ack, the messages are redelivered and
 * loading them again stores nothing twice.
 */
export async function loadBatch(
  store: ChStore,
  messages: ReadonlyArray<{ seq: number; data: Uint8Array }>,
): Promise<{ events: number; skipped: number }> {
  const rows: Array<ReturnType<typeof eventRow>> = [];
  const touched = new Map<string, Set<string>>();
  let skipped = 0;
  for (const { data } of messages) {
    const message = decodeMessage(data);
    if (!message) {
      skipped++;
      continue;
    }
    const sessions = touched.get(message.site) ?? new Set<string>();
    touched.set(message.site, sessions);
    for (const event of message.events) {
      rows.push(eventRow(message, event));
      sessions.add(event.session_id);
    }
  }
  const token = createHash('sha256')
    .update(messages.map((m) => m.seq).join(','))
    .digest('hex');
  await store.insert('events', rows, `events:${token}`);
  for (const [site, sessions] of touched) {
    const stored = await store.query<StoredEvent>(
      `SELECT session_id, toString(event_id) AS event_id, ts, browser, os, raw FROM events FINAL
       WHERE site_id = {site:String} AND session_id IN {sessions:Array(String)}`,
      { site, sessions: [...sessions] },
    );
    await store.insert('visits', visitRows(site, stored));
  }
  return { events: rows.length, skipped };
}

/**
 * A loader: a durable pull consumer of the log with explicit acks, any number of them side by side (the stream
 * hands each message to one of them; a message not acked within the consumer's ack wait goes to another).
 */
export function startLoader(options: LoaderOptions): Loader {
  const { log, store } = options;
  const say = options.say ?? (() => undefined);
  const counters = { batches: 0, events: 0, redelivered: 0, failures: 0, skipped: 0 };
  const max = options.batchMessages ?? 500;
  let running = true;
  let stopConsuming: (() => void) | undefined;
  const consumeRound = async () => {
    const consumer = await log.js.consumers.get(log.stream, log.durable);
    const messages = await consumer.consume({ max_messages: max * 2 });
    stopConsuming = () => void messages.stop();
    if (!running) stopConsuming();
    const take = batcher(messages[Symbol.asyncIterator](), max, options.lingerMs ?? 20);
    while (running) {
      const batch = await take();
      if (batch.length === 0) break;
      try {
        const result = await loadBatch(
          store,
          batch.map((m) => ({ seq: m.seq, data: m.data })),
        );
        const redelivered = batch.filter((m) => m.redelivered).length;
        options.onBatch?.('inserted', result.events, batch.length, redelivered);
        if (options.holdBeforeAckMs) await new Promise((resolve) => setTimeout(resolve, options.holdBeforeAckMs));
        await Promise.all(batch.map((m) => m.ackAck()));
        counters.batches++;
        counters.events += result.events;
        counters.skipped += result.skipped;
        counters.redelivered += redelivered;
        options.onBatch?.('acked', result.events, batch.length, redelivered);
      } catch (error) {
        // Not acked: the stream delivers the batch again (here after a second, or to another loader).
        counters.failures++;
        say(`loading a batch failed (it will be redelivered): ${(error as Error).message}`);
        for (const m of batch) m.nak(1000);
        if (running) await new Promise((resolve) => setTimeout(resolve, 500));
      }
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
 * messages or `lingerMs` without one. An empty batch: the iterator ended.
 */
function batcher(iterator: AsyncIterator<JsMsg>, max: number, lingerMs: number): () => Promise<JsMsg[]> {
  let pending: Promise<IteratorResult<JsMsg>> | undefined;
  const idle = Symbol('idle');
  return async () => {
    const batch: JsMsg[] = [];
    while (batch.length < max) {
      pending ??= iterator.next();
      const next =
        batch.length === 0
          ? await pending
          : await Promise.race([pending, new Promise<typeof idle>((resolve) => setTimeout(resolve, lingerMs, idle))]);
      if (next === idle) break;
      pending = undefined;
      if (next.done) break;
      batch.push(next.value);
    }
    return batch;
  };
}
