import { DeliverPolicy } from '@nats-io/jetstream';
import type { EventLog } from './event-log.js';
import { decodeMessage, eventIdsOf } from './message.js';

/** At most this many messages (requests) of the log are read to answer one check. */
export const MAX_CHECK_MESSAGES = 2000;

/**
 * Which of these lower-cased event ids of a site are in the log but not yet loaded for sure: the messages after the
 * loaders' ack floor (everything before it is in ClickHouse), read with an ordered consumer, the newest
 * `maxMessages` of them when the backlog is longer. An id left out is only sent again by the SDK, and stored once.
 */
export async function unloadedIdsOf(
  log: EventLog,
  site: string,
  ids: readonly string[],
  maxMessages = MAX_CHECK_MESSAGES,
): Promise<string[]> {
  if (ids.length === 0) return [];
  const [consumer, stream] = await Promise.all([log.jsm.consumers.info(log.stream, log.durable), log.jsm.streams.info(log.stream)]);
  const last = stream.state.last_seq;
  const first = Math.max(consumer.ack_floor.stream_seq + 1, last - maxMessages + 1, stream.state.first_seq);
  if (last < first) return [];
  const wanted = new Set(ids);
  const found: string[] = [];
  const reader = await log.js.consumers.get(log.stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: first });
  try {
    const messages = await reader.fetch({ max_messages: last - first + 1, expires: 2000 });
    for await (const m of messages) {
      const message = decodeMessage(m.data);
      if (message?.site === site) {
        // Only the ids of the message's `events` rows are read.
        for (const stored of eventIdsOf(message)) {
          const id = stored.toLowerCase();
          if (wanted.delete(id)) found.push(id);
        }
      }
      if (m.seq >= last || wanted.size === 0) break;
    }
  } finally {
    await reader.delete().catch(() => undefined);
  }
  return found;
}
