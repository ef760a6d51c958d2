-- Every admitted event, once per (site, visit, event id): a loader killed between its insert and its ack inserts
-- the batch again when it is redelivered, and ReplacingMergeTree collapses the repeat (queries that count rows read
-- with FINAL). A retried insert of the same batch is dropped whole by its insert_deduplication_token
-- (non_replicated_deduplication_window; ReplicatedMergeTree deduplicates by default).
CREATE TABLE IF NOT EXISTS events (
  site_id LowCardinality(String),
  session_id String,
  event_id UUID,
  visitor_id String,
  type LowCardinality(String),
  -- Server time (client time plus the request's clock skew), ms since the epoch.
  ts Int64,
  -- The parsed user-agent classes of the request: the raw user agent is never stored.
  browser LowCardinality(Nullable(String)),
  os LowCardinality(Nullable(String)),
  -- The admitted, redacted event as the client sent it (client ts), as JSON.
  raw String,
  INDEX event_id_bloom event_id TYPE bloom_filter GRANULARITY 4,
  INDEX ts_minmax ts TYPE minmax GRANULARITY 1
) ENGINE = ReplacingMergeTree
ORDER BY (site_id, session_id, event_id)
SETTINGS non_replicated_deduplication_window = 10000;
