-- One row per visit, rebuilt by the loader from the visit's events whenever a batch touches it: the per-visit
-- rollups of the Postgres backend (one row per visit; per visit and page; per visit and vital) kept in one row as
-- Nested columns, so one ReplacingMergeTree version replaces a visit and its pages and vitals together. `version`
-- is the number of the visit's events the row was computed from: events only ever accumulate, so the row built from
-- the most events is the newest, whichever loader wrote last.
CREATE TABLE IF NOT EXISTS visits (
  site_id LowCardinality(String),
  session_id String,
  version UInt32,
  visitor_id String,
  start_ms Int64,
  pageviews UInt32,
  bounce UInt8,
  duration_s UInt32,
  entry_page Nullable(String),
  exit_page Nullable(String),
  source LowCardinality(Nullable(String)),
  referrer Nullable(String),
  utm_source Nullable(String),
  utm_medium Nullable(String),
  utm_campaign Nullable(String),
  country LowCardinality(Nullable(String)),
  device LowCardinality(Nullable(String)),
  browser LowCardinality(Nullable(String)),
  os LowCardinality(Nullable(String)),
  -- Pageviews by path.
  pages Nested(path String, views UInt32),
  -- Each web vital's last report per metric id.
  vitals Nested(name LowCardinality(String), value Float64),
  -- The visit's events in order, as funnel steps (`page:<path>`, `event:<type>`); heartbeats and page leaves left out.
  marks Nested(t Int64, key String),
  INDEX start_minmax start_ms TYPE minmax GRANULARITY 1
) ENGINE = ReplacingMergeTree(version)
ORDER BY (site_id, session_id);
