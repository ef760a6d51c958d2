-- The original schema of the "tippen" Worker: site keys and one row per visitor.
-- `kind` separates the public write key (it sits in pages, so it may only write) from the secret
-- read key (dashboards, read API, live visitors).
CREATE TABLE IF NOT EXISTS api_keys (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  api_key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL DEFAULT 'write' CHECK (kind IN ('write', 'secret')),
  site_id TEXT NOT NULL,
  -- Origins allowed to send with this key, comma-separated (e.g. `https://example.com`); `*` allows any.
  website TEXT NOT NULL,
  owner TEXT,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  usage_count INTEGER NOT NULL DEFAULT 0,
  last_used_at TIMESTAMP
);

CREATE INDEX IF NOT EXISTS idx_api_keys_site ON api_keys (site_id, kind);

CREATE TABLE IF NOT EXISTS visitor_sessions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  api_key TEXT NOT NULL,
  visitor_id TEXT NOT NULL,
  company TEXT,
  location TEXT,
  last_role TEXT,
  website TEXT,
  page_views INTEGER DEFAULT 0,
  first_seen_at TIMESTAMP,
  last_seen_at TIMESTAMP,
  total_time_seconds INTEGER DEFAULT 0,
  FOREIGN KEY (api_key) REFERENCES api_keys (api_key)
);

CREATE INDEX IF NOT EXISTS idx_visitor_api_key ON visitor_sessions (api_key);
CREATE INDEX IF NOT EXISTS idx_visitor_id ON visitor_sessions (visitor_id);
CREATE INDEX IF NOT EXISTS idx_last_seen ON visitor_sessions (last_seen_at);
