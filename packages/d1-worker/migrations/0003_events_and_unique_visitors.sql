-- Events of the SDK's batches, stored once by their `event_id` (the idempotency key), and one
-- visitor row per (api_key, visitor_id) so the upsert is a single statement.

-- The old check-then-insert code could race and write a visitor twice: fold such repeats into the
-- oldest row (counts summed, first/last seen widened) before the unique index makes them impossible.
UPDATE visitors
SET
  page_views = (SELECT SUM(COALESCE(d.page_views, 0)) FROM visitors d WHERE d.api_key = visitors.api_key AND d.visitor_id = visitors.visitor_id),
  total_time_seconds = (SELECT SUM(COALESCE(d.total_time_seconds, 0)) FROM visitors d WHERE d.api_key = visitors.api_key AND d.visitor_id = visitors.visitor_id),
  first_seen_at = (SELECT MIN(d.first_seen_at) FROM visitors d WHERE d.api_key = visitors.api_key AND d.visitor_id = visitors.visitor_id),
  last_seen_at = (SELECT MAX(d.last_seen_at) FROM visitors d WHERE d.api_key = visitors.api_key AND d.visitor_id = visitors.visitor_id)
WHERE id IN (
  SELECT MIN(id) FROM visitors GROUP BY api_key, visitor_id HAVING COUNT(*) > 1
);

DELETE FROM visitors
WHERE id NOT IN (SELECT MIN(id) FROM visitors GROUP BY api_key, visitor_id);

CREATE UNIQUE INDEX idx_visitors_key_visitor ON visitors (api_key, visitor_id);

CREATE TABLE events (
  event_id TEXT PRIMARY KEY,
  -- The request that stored the event: the visitor upsert in the same D1 batch counts only these rows,
  -- so a resent (duplicate) event never counts twice.
  ingest_id TEXT NOT NULL,
  api_key TEXT NOT NULL,
  site_id TEXT NOT NULL,
  visitor_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  type TEXT NOT NULL,
  -- Event time in ms since the epoch, corrected for client clock skew.
  ts INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  -- Engaged milliseconds a heartbeat/page_visibility event reports (0 for others).
  engaged_ms INTEGER NOT NULL DEFAULT 0,
  -- The validated event as JSON (unknown fields already dropped by the protocol validator).
  payload TEXT NOT NULL
);

CREATE INDEX idx_events_site_visitor_ts ON events (site_id, visitor_id, ts);
CREATE INDEX idx_events_site_ts ON events (site_id, ts);
