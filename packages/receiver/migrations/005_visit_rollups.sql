-- Per-visit rollups for the dashboard (`/v1/stats/*`), kept in the insert transaction by the store
-- (visitRollupStatements() in @trailmark/protocol) and filled from the stored events when this migration runs.
-- Why: the panels were computed over every raw event of the range at request time (51 s and 2.5 GiB for the
-- first screen at a million events); with these a panel is one range scan of one table.
-- A visit's row holds its figures and dimension values (parsed browser and OS only: never a user agent) and its
-- fold state as JSON; child rows carry the visit's visitor, start and bot verdict, rewritten when they change.
-- Each table is clustered by (site_id, start_ts, …), so a panel's range is one sequential read of whole rows;
-- a unique index by visit is what the store's upserts find their row by.
-- Rollback: DROP TABLE visits; DROP TABLE visit_pages; DROP TABLE visit_types; DROP TABLE visit_vitals;
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
  state TEXT NOT NULL,
  PRIMARY KEY (site_id, start_ts, session_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX visits_session ON visits (site_id, session_id);

-- One row per visit and page path: its pageviews and their times (comma-separated ms, for funnels).
CREATE TABLE visit_pages (
  site_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  path TEXT NOT NULL,
  views INTEGER NOT NULL,
  times TEXT NOT NULL,
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
