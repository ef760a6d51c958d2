-- Per-visit rollups for the dashboard (`/v1/stats/*`), the same tables as the reference receiver's (its migration
-- 005; statements shared in @trailmark/protocol `sqlite-rollups.ts`). The Worker rebuilds a visit's rows from all
-- its events after each batch that stored some (src/visit-rollups.ts), guarded by the visit's `version` so two
-- requests of one visit never leave a stale rebuild; events stored before this migration are rebuilt a chunk at
-- a time by `visit_backfill` (the cron trigger, and a step before each stats read).
-- Why: the panels were computed from every raw event of the range at request time.
-- Rollback: DROP TABLE visits, visit_states, visit_pages, visit_types, visit_vitals, visit_goal_props, visit_links, visit_revenue,
-- visit_seq, drop_reports, visit_guard, visit_backfill; DROP INDEX idx_events_site_session (one statement each).
CREATE TABLE visits (
  site_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  visitor_id TEXT NOT NULL,
  start_ts INTEGER NOT NULL,
  end_ts INTEGER NOT NULL,
  pageviews INTEGER NOT NULL,
  bounce INTEGER NOT NULL,
  duration_s INTEGER NOT NULL,
  entry_page TEXT,
  exit_page TEXT,
  source TEXT,
  referrer TEXT,
  utm_source TEXT,
  utm_medium TEXT,
  utm_campaign TEXT,
  country TEXT,
  device TEXT,
  browser TEXT,
  os TEXT,
  -- Why the visit is a bot's (user_agent, automation, behaviour), NULL for a person's.
  bot TEXT,
  -- Bumped by every rebuild: a rebuild writes only over the version it read.
  version INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (site_id, start_ts, session_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX visits_session ON visits (site_id, session_id);

-- Each visit's fold state (JSON), apart from its figures so a panel's scan of `visits` reads short rows.
CREATE TABLE visit_states (
  site_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  state TEXT NOT NULL,
  PRIMARY KEY (site_id, session_id)
) WITHOUT ROWID;

-- One row per visit and page path: its pageviews and their times (comma-separated ms, for funnels), the deepest
-- scroll (%) and the engaged ms its page_leave reports give. A path with a scroll or leave but no pageview in the
-- visit has views 0 and counts nowhere.
CREATE TABLE visit_pages (
  site_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  path TEXT NOT NULL,
  views INTEGER NOT NULL,
  times TEXT NOT NULL,
  scroll REAL NOT NULL,
  engaged_ms INTEGER NOT NULL,
  start_ts INTEGER NOT NULL,
  visitor_id TEXT NOT NULL,
  bot TEXT,
  PRIMARY KEY (site_id, start_ts, session_id, path)
) WITHOUT ROWID;
CREATE UNIQUE INDEX visit_pages_session ON visit_pages (site_id, session_id, path);

-- One row per visit and event type other than pageview, page_leave and heartbeat (goals and funnel steps).
CREATE TABLE visit_types (
  site_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  type TEXT NOT NULL,
  events INTEGER NOT NULL,
  times TEXT NOT NULL,
  start_ts INTEGER NOT NULL,
  visitor_id TEXT NOT NULL,
  bot TEXT,
  PRIMARY KEY (site_id, start_ts, session_id, type)
) WITHOUT ROWID;
CREATE UNIQUE INDEX visit_types_session ON visit_types (site_id, session_id, type);

-- One row per visit and web vital metric (name, metric id) with the value of its last report (time, seq, id).
CREATE TABLE visit_vitals (
  site_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  name TEXT NOT NULL,
  metric_id TEXT NOT NULL,
  value REAL NOT NULL,
  r_ts INTEGER NOT NULL,
  r_seq INTEGER NOT NULL,
  r_id TEXT NOT NULL,
  start_ts INTEGER NOT NULL,
  visitor_id TEXT NOT NULL,
  bot TEXT,
  PRIMARY KEY (site_id, start_ts, session_id, name, metric_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX visit_vitals_session ON visit_vitals (site_id, session_id, name, metric_id);

-- One row per visit, goal and scalar property value of the goal's events (the goal breakdown by property).
CREATE TABLE visit_goal_props (
  site_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  name TEXT NOT NULL,
  prop TEXT NOT NULL,
  value TEXT NOT NULL,
  events INTEGER NOT NULL,
  start_ts INTEGER NOT NULL,
  visitor_id TEXT NOT NULL,
  bot TEXT,
  PRIMARY KEY (site_id, start_ts, session_id, name, prop, value)
) WITHOUT ROWID;
CREATE UNIQUE INDEX visit_goal_props_session ON visit_goal_props (site_id, session_id, name, prop, value);

-- One row per visit and clicked outbound link or download (kind 'outbound' or 'download') by URL.
CREATE TABLE visit_links (
  site_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  url TEXT NOT NULL,
  events INTEGER NOT NULL,
  start_ts INTEGER NOT NULL,
  visitor_id TEXT NOT NULL,
  bot TEXT,
  PRIMARY KEY (site_id, start_ts, session_id, kind, url)
) WITHOUT ROWID;
CREATE UNIQUE INDEX visit_links_session ON visit_links (site_id, session_id, kind, url);

-- One row per visit, goal and currency: its events with revenue and their amounts summed in millionths.
CREATE TABLE visit_revenue (
  site_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  name TEXT NOT NULL,
  currency TEXT NOT NULL,
  events INTEGER NOT NULL,
  micros INTEGER NOT NULL,
  start_ts INTEGER NOT NULL,
  visitor_id TEXT NOT NULL,
  bot TEXT,
  PRIMARY KEY (site_id, start_ts, session_id, name, currency)
) WITHOUT ROWID;
CREATE UNIQUE INDEX visit_revenue_session ON visit_revenue (site_id, session_id, name, currency);

-- Sequence numbers received per session and block of 1000 (a tab's block), drop reports' included: the highest
-- and how many, whose difference is the events lost in transit. `ts`: the latest event's, for retention.
CREATE TABLE visit_seq (
  site_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  block INTEGER NOT NULL,
  max_seq INTEGER NOT NULL,
  events INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  PRIMARY KEY (site_id, session_id, block)
) WITHOUT ROWID;

-- The SDK's drop reports (sdk_dropped props: reason → count), summed per site, time and reason.
CREATE TABLE drop_reports (
  site_id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  reason TEXT NOT NULL,
  dropped INTEGER NOT NULL,
  PRIMARY KEY (site_id, ts, reason)
) WITHOUT ROWID;

-- A visit's events, for its rebuild.
CREATE INDEX idx_events_site_session ON events (site_id, session_id);

-- Never holds a row: a rebuild's batch inserts NULL here when the version it read has moved, which fails the
-- batch (NOT NULL) and rolls it back; the Worker then reads again and retries.
CREATE TABLE visit_guard (k INTEGER NOT NULL);

-- The events stored before this migration (rowids up to end_rowid) whose visits are still to be rebuilt.
CREATE TABLE visit_backfill (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  next_rowid INTEGER NOT NULL,
  end_rowid INTEGER NOT NULL
);
INSERT INTO visit_backfill (id, next_rowid, end_rowid) SELECT 1, 0, coalesce(max(rowid), 0) FROM events;
