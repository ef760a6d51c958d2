-- The read side's second migration (the loader's inserts are unchanged; ClickHouse derives all of this as rows arrive).

-- Identity stitching (docs/identity.md): each visitor's earliest identification, as `identitiesOf()` in
-- @trailmark/protocol keeps it. An event carrying a `user_id` that the redaction left whole (no `[redacted` marker,
-- not empty) identifies its visitor; the earliest by server time, sequence number and event id stands. argMin is a
-- state, so the answer is the same whatever the order or number of deliveries (a batch loaded twice changes nothing).
CREATE TABLE IF NOT EXISTS visitor_users (
  site_id LowCardinality(String),
  visitor_id String,
  user_id AggregateFunction(argMin, String, Tuple(Int64, UInt32, String))
) ENGINE = AggregatingMergeTree
ORDER BY (site_id, visitor_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS visitor_users_mv TO visitor_users AS
SELECT site_id, visitor_id, argMinState(JSONExtractString(raw, 'user_id'), tuple(ts, seq, toString(event_id))) AS user_id
FROM events
WHERE position(raw, '"user_id"') > 0 AND JSONType(raw, 'user_id') = 'String'
  AND JSONExtractString(raw, 'user_id') != '' AND position(JSONExtractString(raw, 'user_id'), '[redacted') = 0
GROUP BY site_id, visitor_id;

-- Visitors identified before this migration.
INSERT INTO visitor_users
SELECT site_id, visitor_id, argMinState(JSONExtractString(raw, 'user_id'), tuple(ts, seq, toString(event_id)))
FROM events
WHERE position(raw, '"user_id"') > 0 AND JSONType(raw, 'user_id') = 'String'
  AND JSONExtractString(raw, 'user_id') != '' AND position(JSONExtractString(raw, 'user_id'), '[redacted') = 0
GROUP BY site_id, visitor_id;

-- Bots are judged once, by the loader (`visits.bot`, migration 03: `botReason()` over the whole visit, the same
-- verdict as every backend's rollups); the panels read that column. The per-visit signals that migration 05 folded
-- for the read side to judge again are no longer read.
DROP VIEW IF EXISTS visit_signals_mv;
DROP TABLE IF EXISTS visit_signals;
