-- Hourly rollups, maintained in the insert transaction. One row per (site, hour, dimension, key):
-- dimension 'total' (key ''), 'sessions' (key '': unique sessions), 'type' (key = event type),
-- or 'dim:<name>' for a configured props dimension (key = the prop's value).
CREATE TABLE rollups (
  site_id TEXT NOT NULL,
  hour INTEGER NOT NULL,
  dimension TEXT NOT NULL,
  key TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (site_id, hour, dimension, key)
) WITHOUT ROWID;
CREATE INDEX rollups_hour ON rollups (hour);

-- Sessions seen per hour: a new row here is what increments the 'sessions' count.
CREATE TABLE rollup_sessions (
  site_id TEXT NOT NULL,
  hour INTEGER NOT NULL,
  session_id TEXT NOT NULL,
  PRIMARY KEY (site_id, hour, session_id)
) WITHOUT ROWID;
CREATE INDEX rollup_sessions_hour ON rollup_sessions (hour);
