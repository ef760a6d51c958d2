-- The read side's additions (the loader's inserts are unchanged; ClickHouse derives all of this as rows arrive).
--
-- The request's user-agent device class (`bot` for a crawler or headless browser) is `events.agent_device`
-- (migration 03); NULL where the request had none, when the user-agent bot rule cannot apply.

-- The event's sequence number (0 when it has none or it is not a whole number), computed once at insert for the
-- completeness panel, which otherwise parses every event of the range.
ALTER TABLE events ADD COLUMN IF NOT EXISTS seq UInt32 MATERIALIZED
  if(JSONType(raw, 'seq') IN ('Int64', 'UInt64') AND JSONExtractInt(raw, 'seq') BETWEEN 1 AND 4294967295, toUInt32(JSONExtractInt(raw, 'seq')), 0);

-- The event's props and path, computed once at insert: the reports read these few bytes instead of the whole JSON.
ALTER TABLE events ADD COLUMN IF NOT EXISTS props String MATERIALIZED JSONExtractRaw(raw, 'props');
ALTER TABLE events ADD COLUMN IF NOT EXISTS path Nullable(String) MATERIALIZED
  if(JSONType(raw, 'path') = 'String', JSONExtractString(raw, 'path'), NULL);

-- Per visit, what the bot rules read beyond the visits table (`botReason()` in @trailmark/protocol): the first
-- event's device class, the SDK's automation flag, page leaves, any sign of a person, the first and last pageview and
-- the pageviews (distinct event ids). Each column is a min, a max, an argMin or a set, so a repeated event (a batch
-- loaded again) changes nothing.
CREATE TABLE IF NOT EXISTS visit_signals (
  site_id LowCardinality(String),
  session_id String,
  ua_bot AggregateFunction(argMin, UInt8, Tuple(Int64, UInt32, String)),
  automation SimpleAggregateFunction(max, UInt8),
  leaves SimpleAggregateFunction(max, UInt8),
  engaged SimpleAggregateFunction(max, UInt8),
  first_view SimpleAggregateFunction(min, Int64),
  last_view SimpleAggregateFunction(max, Int64),
  views AggregateFunction(uniqExact, UUID)
) ENGINE = AggregatingMergeTree
ORDER BY (site_id, session_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS visit_signals_mv TO visit_signals AS
SELECT
  site_id,
  session_id,
  argMinState(toUInt8(ifNull(agent_device, '') = 'bot'), tuple(ts, seq, toString(event_id))) AS ua_bot,
  max(toUInt8(JSONHas(raw, 'bot'))) AS automation,
  max(toUInt8(type = 'page_leave')) AS leaves,
  max(toUInt8(
    type NOT IN ('pageview', 'page_leave', 'scroll', 'page_visibility', 'web_vital', 'sdk_dropped', 'js_error', 'identify')
    OR (type IN ('page_leave', 'page_visibility') AND JSONType(raw, 'props', 'engaged_ms') IN ('Int64', 'UInt64', 'Double')
        AND JSONExtractFloat(raw, 'props', 'engaged_ms') > 0)
  )) AS engaged,
  min(if(type = 'pageview', ts, 9223372036854775807)) AS first_view,
  max(if(type = 'pageview', ts, -9223372036854775808)) AS last_view,
  uniqExactStateIf(event_id, type = 'pageview') AS views
FROM events
WHERE type != 'sdk_dropped'
GROUP BY site_id, session_id;

-- Visits loaded before this migration.
INSERT INTO visit_signals
SELECT
  site_id,
  session_id,
  argMinState(toUInt8(ifNull(agent_device, '') = 'bot'), tuple(ts, seq, toString(event_id))),
  max(toUInt8(JSONHas(raw, 'bot'))),
  max(toUInt8(type = 'page_leave')),
  max(toUInt8(
    type NOT IN ('pageview', 'page_leave', 'scroll', 'page_visibility', 'web_vital', 'sdk_dropped', 'js_error', 'identify')
    OR (type IN ('page_leave', 'page_visibility') AND JSONType(raw, 'props', 'engaged_ms') IN ('Int64', 'UInt64', 'Double')
        AND JSONExtractFloat(raw, 'props', 'engaged_ms') > 0)
  )),
  min(if(type = 'pageview', ts, 9223372036854775807)),
  max(if(type = 'pageview', ts, -9223372036854775808)),
  uniqExactStateIf(event_id, type = 'pageview')
FROM events FINAL
WHERE type != 'sdk_dropped'
GROUP BY site_id, session_id;
