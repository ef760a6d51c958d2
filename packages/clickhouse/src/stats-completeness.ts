import type { CompletenessDay, StatsData, StatsQuery } from '@trailmark/protocol';
import { binds, n, visitsWhere } from './stats-sql.js';
import type { ChStore } from './store.js';

// How complete the data is, per UTC day (`completenessOf` in @trailmark/protocol): events lost in transit in the
// selected visits (`visits.lost`, migration 07: the gaps in their sessions' sequence numbers, each tab numbering a
// block of 1000, kept by the loader), and the SDK's drop reports sent that day by reason (filters and bots do not
// apply to those).

const DAY_MS = 86_400_000;

/** Per UTC day: events lost in the visits that started that day, and the SDK's drops by reason. */
export async function completeness(store: ChStore, siteId: string, query: StatsQuery): Promise<StatsData['completeness']> {
  const b = binds();
  const day = b.add(DAY_MS, 'Int64');
  const lostSql = `SELECT intDiv(start_ms, ${day}) * ${day} AS t, sum(lost) AS nl ${visitsWhere(siteId, query, b)} AND lost != 0 GROUP BY t`;
  // The drop reports are few: each once by its event id (`LIMIT 1 BY`, a set of only those), not `FINAL`, which
  // merges the keys of every event of the site before the type filter applies.
  const droppedSql = `SELECT intDiv(ts, ${day}) * ${day} AS t, kv.1 AS reason, sum(toFloat64OrZero(kv.2)) AS count
    FROM (SELECT ts, JSONExtractRaw(raw, 'props') AS props FROM events
          WHERE site_id = ${b.add(siteId, 'String')} AND type = 'sdk_dropped'
            AND ts >= ${b.add(query.from, 'Int64')} AND ts < ${b.add(query.to, 'Int64')}
          LIMIT 1 BY event_id)
    ARRAY JOIN JSONExtractKeysAndValuesRaw(props) AS kv
    WHERE toFloat64OrZero(kv.2) > 0 AND toFloat64OrZero(kv.2) = floor(toFloat64OrZero(kv.2))
    GROUP BY t, reason`;
  const [lost, dropped] = await Promise.all([
    store.query<{ t: unknown; nl: unknown }>(lostSql, b.values),
    store.query<{ t: unknown; reason: string; count: unknown }>(droppedSql, b.values),
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
  for (const row of lost) entry(n(row.t)).lost += n(row.nl);
  return { days: [...days.values()].sort((a, b) => a.t - b.t) };
}
