-- 01_init: raw event storage.
-- Rollback: DROP TABLE IF EXISTS events_log;
--
-- Differences from the analytics-platform seed, and why:
-- * `event_id` is NOT NULL and UNIQUE with no default: it is the client's idempotency key, and ingest relies on
--   `ON CONFLICT (event_id) DO NOTHING` to store a retried event once. A server-made default would hide a
--   client bug as a fresh event.
-- * `id` is a BIGINT identity: a SERIAL (int4) runs out after 2^31 events.
-- * Strings are TEXT with the wire protocol's limits checked at ingest (`@trailmark/protocol`): the seed's
--   VARCHAR(50/100/500) were shorter than what the protocol allows (type 64, ids 128, path 2048), so a valid
--   event would have failed the whole batch's INSERT.
-- * Not partitioned: a unique index on a partitioned table must include the partition key, so
--   `UNIQUE (event_id)` could only dedupe within one time slice. The ETL stamps `processed_at`, and
--   `cleanup_processed_events()` deletes in bounded chunks; see docs/backends/postgres.md for partitioning
--   once one table is too big (a separate dedupe table of ids, then time partitions dropped whole).

CREATE TABLE IF NOT EXISTS events_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id UUID NOT NULL,
    event_type TEXT NOT NULL,                   -- 'pageview', 'click', custom names (<= 64 chars)
    session_id TEXT NOT NULL,
    visitor_id TEXT NOT NULL,
    site_id TEXT NOT NULL,
    "timestamp" TIMESTAMPTZ NOT NULL,           -- event time on the server clock (client ts + clock skew)
    url TEXT,
    path TEXT,
    user_agent TEXT,
    ip_address INET,                            -- truncated (IPv4 /24, IPv6 /48) unless configured otherwise
    raw_event_data JSONB NOT NULL,              -- the validated, redacted event as received
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    processed_at TIMESTAMPTZ,                   -- set by process_events_batch()
    CONSTRAINT events_log_event_id_key UNIQUE (event_id)
);

CREATE INDEX IF NOT EXISTS idx_events_log_timestamp ON events_log ("timestamp");
CREATE INDEX IF NOT EXISTS idx_events_log_site_created ON events_log (site_id, created_at);
CREATE INDEX IF NOT EXISTS idx_events_log_session ON events_log (session_id);
CREATE INDEX IF NOT EXISTS idx_events_log_event_type ON events_log (event_type);
-- The ETL's work queue: only unprocessed rows, so the index stays small however large the table grows
-- (the seed indexed every row's processed_at).
CREATE INDEX IF NOT EXISTS idx_events_log_unprocessed ON events_log (id) WHERE processed_at IS NULL;
-- Retention deletes processed rows by age.
CREATE INDEX IF NOT EXISTS idx_events_log_processed ON events_log (created_at) WHERE processed_at IS NOT NULL;
-- jsonb_path_ops: smaller and faster for the `@>` containment queries the raw table is used for.
CREATE INDEX IF NOT EXISTS idx_events_log_raw_data_gin ON events_log USING gin (raw_event_data jsonb_path_ops);
