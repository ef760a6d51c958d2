import { type CompletenessDay, type StatsData, type StatsQuery, VISIT_MARGIN_MS } from '@trailmark/protocol';
import { binds, n, selectedVisits } from './stats-sql.js';
import type { ChStore } from './store.js';

// How complete the data is, per UTC day (`completenessOf` in @trailmark/protocol): events lost in transit in the
// selected visits (gaps in their sessions' sequence numbers, each tab numbering a block of 1000), and the SDK's drop
// reports sent that day by reason (filters and bots do not apply to those).

const DAY_MS = 86_400_000;

/** Per UTC day: events lost in the visits that started that day, and the SDK's drops by reason. */
export async function completeness(store: ChStore, siteId: string, query: StatsQuery): Promise<StatsData['completeness']> {
  const b = binds();
  const site = b.add(siteId, 'String');
  const from = b.add(query.from, 'Int64');
  const to = b.add(query.to, 'Int64');
  const window = `site_id = ${site} AND ts >= ${b.add(query.from - VISIT_MARGIN_MS, 'Int64')} AND ts <= ${b.add(query.to + VISIT_MARGIN_MS, 'Int64')}`;
  // `seq` (migration 05) is 0 for an event without a whole sequence number; the session's drop reports count too.
  const lostPerVisit = `SELECT session_id, sum(block_lost) AS lost FROM (
      SELECT session_id, intDiv(seq - 1, 1000) AS block, toInt64(max(seq)) - toInt64(block) * 1000 - toInt64(count()) AS block_lost
      FROM (SELECT session_id, event_id, seq FROM events FINAL WHERE ${window} AND seq >= 1)
      GROUP BY session_id, block)
    GROUP BY session_id`;
  const day = b.add(DAY_MS, 'Int64');
  const [lost, dropped] = await Promise.all([
    store.query<{ t: unknown; lost: unknown }>(
      `SELECT intDiv(v.start_ms, ${day}) * ${day} AS t, sum(l.lost) AS lost
       FROM (${selectedVisits(siteId, query, b)}) AS v INNER JOIN (${lostPerVisit}) AS l ON l.session_id = v.session_id
       WHERE l.lost != 0 GROUP BY t`,
      b.values,
    ),
    store.query<{ t: unknown; reason: string; count: unknown }>(
      `SELECT intDiv(ts, ${day}) * ${day} AS t, kv.1 AS reason, sum(toFloat64OrZero(kv.2)) AS count
       FROM (SELECT ts, props FROM events FINAL WHERE site_id = ${site} AND type = 'sdk_dropped' AND ts >= ${from} AND ts < ${to})
       ARRAY JOIN JSONExtractKeysAndValuesRaw(props) AS kv
       WHERE toFloat64OrZero(kv.2) > 0 AND toFloat64OrZero(kv.2) = floor(toFloat64OrZero(kv.2))
       GROUP BY t, reason`,
      b.values,
    ),
  ]);
  const days = new Map<number, CompletenessDay>();
  const entry = (t: number) => {
    let found = days.get(t);
    if (!found) {
      found = { t, lost: 0, dropped: {} };
      days.set(t, found);
    }
    return found;
  };
  for (const row of dropped) entry(n(row.t)).dropped[row.reason] = n(row.count);
  for (const row of lost) entry(n(row.t)).lost += n(row.lost);
  return { days: [...days.values()].sort((a, b) => a.t - b.t) };
}
