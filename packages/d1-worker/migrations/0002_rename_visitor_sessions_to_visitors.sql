-- The documented migration (tippen "migration_001_rename_visitor_sessions"): the table tracks every
-- visitor, not only video sessions, so it becomes `visitors`, gains the optional video-session columns
-- and loses the foreign key to api_keys. Every row is copied with its id, counts and timestamps.
CREATE TABLE visitors (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  api_key TEXT NOT NULL,
  visitor_id TEXT NOT NULL,
  company TEXT,
  location TEXT,
  last_role TEXT,
  website TEXT,
  page_views INTEGER DEFAULT 0,
  first_seen_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  last_seen_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  total_time_seconds INTEGER DEFAULT 0,
  video_session_id TEXT,
  video_invited_at TIMESTAMP,
  video_accepted_at TIMESTAMP,
  video_status TEXT CHECK (video_status IS NULL OR video_status IN ('invited', 'accepted', 'declined', 'completed'))
);

INSERT INTO visitors (
  id, api_key, visitor_id, company, location, last_role, website,
  page_views, first_seen_at, last_seen_at, total_time_seconds
)
SELECT
  id, api_key, visitor_id, company, location, last_role, website,
  page_views, first_seen_at, last_seen_at, total_time_seconds
FROM visitor_sessions;

DROP TABLE visitor_sessions;

-- Dropping the old table dropped its indexes: the same names now index `visitors`.
CREATE INDEX idx_visitor_api_key ON visitors (api_key);
CREATE INDEX idx_visitor_id ON visitors (visitor_id);
CREATE INDEX idx_last_seen ON visitors (last_seen_at);
