import { closeIfUnread } from '@trailmark/node-http';
import { admitBatch, MAX_DRAIN_BYTES, MAX_REQUEST_BYTES, parseAgentClass, readJsonBody, type TrailmarkEvent } from '@trailmark/protocol';
import { checkedIdsOf } from './check-ids.js';
import type { NodeContext } from './context.js';
import { LogError } from './event-log.js';
import { authorize, fail, json, unavailable } from './http.js';
import { encodeMessage, messageId } from './message.js';

/**
 * `POST /v1/batch` on an ingest node: the protocol's one ingest path (`admitBatch`: key, origin, rate, body,
 * envelope, each event on its own, redaction), then the request's new events published to the log as ONE message
 * whose id is derived from their ids. The answer is 200 only once the stream has acknowledged the message (every
 * replica); a log that cannot acknowledge is a 503 with `Retry-After`, and the client sends the request again.
 * Events this node published lately are answered as duplicates and not published again.
 */
export async function handleBatch(ctx: NodeContext, request: Request): Promise<Response> {
  const auth = await authorize(ctx, request, 'write');
  if (!auth.ok) return auth.response;
  const body = await readJsonBody(request, MAX_REQUEST_BYTES, MAX_DRAIN_BYTES);
  if (!body.ok) return closeIfUnread(fail(body.code, body.error), body.unread);
  const log = ctx.log;
  if (!log) return fail('not_found', 'this node does not ingest');
  const site = auth.grant.site.id;
  const options = {
    now: ctx.clock(),
    maxAgeMs: ctx.maxEventAgeMs,
    siteId: site,
    storable: storageProblem,
    lookup: (ids: string[]) => checkedIdsOf(ctx, site, ids),
    userAgent: request.headers.get('user-agent'),
  };
  let admission: Awaited<ReturnType<typeof admitBatch>>;
  try {
    admission = await admitBatch(body.value, options, async ({ events, skewMs, agent }) => {
      // Events this node published lately are answered as duplicates without asking anything: a write costs no
      // ClickHouse query (one took ~13 ms of the embedded store's one session, and capped a node at ~7,600 events/s).
      // A repeat this node no longer remembers is dropped by the stream's duplicate window (same message id) or
      // collapsed by the events table's key: stored once either way.
      const fresh = events.filter((event) => !ctx.recent.has(site, event.event_id));
      if (fresh.length === 0) return new Set<string>();
      const ids = fresh.map((event) => event.event_id);
      // The log carries the user agent's class only (admitBatch's `agent`): its browser, OS and device parts.
      const agentParts = parseAgentClass(agent);
      const message = encodeMessage(
        {
          v: 1,
          site,
          skewMs,
          browser: agentParts?.browser ?? null,
          os: agentParts?.os ?? null,
          device: agentParts?.device ?? null,
          events: fresh,
        },
        ctx.country,
      );
      const ack = await log.publish(message, messageId(site, ids));
      ctx.recent.add(site, ids);
      // The stream had this very request already (a retry within its duplicate window): the events were not new.
      return ack.duplicate ? new Set<string>() : new Set(ids);
    });
  } catch (error) {
    if (error instanceof LogError) {
      ctx.counters.logErrors++;
      ctx.say(`log unavailable: ${error.message}`);
      return unavailable(ctx, 'the log did not acknowledge the events; nothing was accepted');
    }
    throw error;
  }
  if (!admission.ok) return fail(admission.code, admission.error);
  const answer = admission.response;
  ctx.counters.accepted += answer.accepted.length;
  ctx.counters.duplicates += answer.duplicates.length;
  ctx.counters.rejected += answer.rejected.length;
  return json(answer);
}

// A lone surrogate as JSON.stringify writes it (ES2019 well-formed stringify escapes lone surrogates, and only those,
// as lower-case `\udXXX`), after an even number of backslashes: not the text `\ud800` someone typed.
const LONE_SURROGATE = /(?<!\\)(?:\\\\)*\\ud[89a-f][0-9a-f]{2}/;

/**
 * Why ClickHouse could not load an event the protocol allows, or undefined: a lone UTF-16 surrogate (valid JSON
 * as `\ud800`, but no Unicode character) has no UTF-8 form. Refused here, on its own, it cannot become a message
 * no loader can insert. One native stringify and one scan per event (a replacer function was a tenth of the
 * ingest node's time).
 */
export function storageProblem(event: TrailmarkEvent): string | undefined {
  return LONE_SURROGATE.test(JSON.stringify(event)) ? 'strings must not contain a lone UTF-16 surrogate (U+D800–U+DFFF)' : undefined;
}
