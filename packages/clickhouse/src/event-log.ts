import {
  AckPolicy,
  DiscardPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { connect, type NatsConnection, nanos } from '@nats-io/transport-node';

/** The stream and consumer names every ingest node and loader of one deployment agree on. */
export interface LogOptions {
  /** NATS servers, e.g. `['127.0.0.1:4222']` (any node of the cluster; the client finds the others). */
  servers: string[];
  /** Stream name (default `TRAILMARK`). */
  stream?: string;
  /** Replicas of the stream when this process creates it (default 1; 3 on a three-node cluster). */
  replicas?: number;
  /** The stream's duplicate window, ms: a retried request within it is dropped by its message id (default 2 min). */
  duplicateWindowMs?: number;
  /** How long the stream keeps a message, acked or not (default 24 h). */
  maxAgeMs?: number;
  /** How long a publish waits for the stream's acknowledgement before the request is answered 503 (default 5 s). */
  publishTimeoutMs?: number;
  /** The loaders' durable consumer (default `loaders`). */
  durable?: string;
  /** How long a delivered message may stay unacked before it is redelivered to another loader (default 30 s). */
  ackWaitMs?: number;
}

/** The stream could not acknowledge a message: nothing may be answered 200. */
export class LogError extends Error {
  override name = 'LogError';
}

/** A connection to the log, with the stream and the loaders' consumer in place. */
export interface EventLog {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly subject: string;
  readonly durable: string;
  /** Publishes one message and resolves once the stream (every replica of it) has stored it. */
  publish(data: Uint8Array, msgId: string): Promise<{ seq: number; duplicate: boolean }>;
  /** Messages not yet delivered plus delivered and not yet acked, for the loaders' consumer. */
  backlog(): Promise<number>;
  close(): Promise<void>;
}

/** Connects, and creates the stream and the loaders' durable pull consumer when they do not exist yet. */
export async function openEventLog(options: LogOptions): Promise<EventLog> {
  const nc = await connect({ servers: options.servers, maxReconnectAttempts: -1, reconnectTimeWait: 250, name: 'trailmark-clickhouse' });
  try {
    const stream = options.stream ?? 'TRAILMARK';
    const subject = `${stream.toLowerCase()}.events`;
    const durable = options.durable ?? 'loaders';
    const jsm = await jetstreamManager(nc, { timeout: 10_000 });
    await ensureStream(jsm, stream, subject, options);
    await ensureConsumer(jsm, stream, durable, options.ackWaitMs ?? 30_000);
    const js = jetstream(nc, { timeout: options.publishTimeoutMs ?? 5000 });
    return {
      nc,
      js,
      jsm,
      stream,
      subject,
      durable,
      async publish(data, msgId) {
        try {
          const ack = await js.publish(subject, data, { msgID: msgId, timeout: options.publishTimeoutMs ?? 5000 });
          return { seq: ack.seq, duplicate: ack.duplicate };
        } catch (error) {
          throw new LogError(`the log did not acknowledge: ${(error as Error).message}`, { cause: error });
        }
      },
      async backlog() {
        const info = await jsm.consumers.info(stream, durable);
        return info.num_pending + info.num_ack_pending;
      },
      async close() {
        await nc.drain().catch(() => nc.close());
      },
    };
  } catch (error) {
    await nc.close().catch(() => undefined);
    throw error;
  }
}

async function ensureStream(jsm: JetStreamManager, name: string, subject: string, options: LogOptions): Promise<void> {
  try {
    await jsm.streams.info(name);
    return;
  } catch {
    // Not there yet: created below (two processes creating it at once both succeed with the same config).
  }
  const config = {
    name,
    subjects: [subject],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: options.replicas ?? 1,
    duplicate_window: nanos(options.duplicateWindowMs ?? 120_000),
    max_age: nanos(options.maxAgeMs ?? 86_400_000),
    discard: DiscardPolicy.Old,
  };
  // A cluster just started has no JetStream meta leader for a few seconds: ask again until one answers.
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      await jsm.streams.add(config);
      return;
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

async function ensureConsumer(jsm: JetStreamManager, stream: string, durable: string, ackWaitMs: number): Promise<void> {
  try {
    await jsm.consumers.info(stream, durable);
    return;
  } catch {
    // Created below.
  }
  await jsm.consumers.add(stream, {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(ackWaitMs),
    max_ack_pending: 100_000,
    max_deliver: -1,
  });
}
