-- Per-visit rollups for the dashboard (`/v1/stats/*`), kept in the insert transaction by the store
-- (visitRollupStatements() in @trailmark/protocol) and filled from the stored events when this migration runs.
-- Why: the panels were computed over every raw event of the range at request time (51 s and 2.5 GiB for the
-- first screen at a million events); with these a panel is one range scan of one table.
-- A visit's row holds its figures and dimension values (parsed browser and OS only: never a user agent) and its
-- fold state as JSON (in visit_states); child rows carry the visit's visitor, start and bot verdict, rewritten when they change.
-- Each table is clustered by (site_id, start_ts, …), so a panel's range is one sequential read of whole rows;
-- a unique index by visit is what the store's upserts find their row by.
-- Rollback: DROP TABLE visits, visit_states, visit_pages, visit_types, visit_vitals, visit_goal_props, visit_links, visit_revenue,
-- visit_seq, drop_reports (one statement each).
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
