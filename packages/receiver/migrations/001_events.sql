-- Raw events, one row per event_id (the idempotency key). `data` is the event as validated, in full;
-- the other columns are copies of what queries filter and sort on.
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  site_id TEXT NOT NULL,
  type TEXT NOT NULL,
  session_id TEXT NOT NULL,
  -- Event time in server terms (client ts plus clock-skew correction), ms since the epoch.
  ts INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  source TEXT NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX events_site_ts ON events (site_id, ts);
-- Retention deletes by time across sites.
CREATE INDEX events_ts ON events (ts);
