-- 10_grouped_panels: covering indexes in the order the first screen's panels group by (issue 22).
-- Rollback:
--   DROP INDEX IF EXISTS idx_visit_pages_by_path, idx_user_sessions_by_visitor, idx_user_events_goals;
--   CREATE INDEX IF NOT EXISTS idx_user_sessions_visitor ON user_sessions (site_id, visitor_id);
--
-- Why: a panel counts distinct people per value (page, channel, country, device, day) as one row per (value,
-- visitor), then rows per value. Read in range order, every visit of the range went through a hash aggregate of
-- (value, visitor) pairs, as many as the range's visits (at a million events 250,000–410,000 text keys: most of each
-- panel's CPU, and with the range's whole rows read from the heap, the first screen's reads outgrew the 128 MB of
-- shared_buffers and evicted each other). Read in (value, visitor) order instead, each group is counted as it
-- streams past and nothing is hashed or kept; the panel asks for that order (stats-sql.ts, `streams`, `orderedBy`)
-- and the planner reads it from these indexes when the range covers much of the site's data, or sorts the range's
-- rows when it is short. Only without filters and for a site that has identified no one: a person otherwise is a
-- lookup in visitor_users, not the row's visitor id, and those requests read as before.
-- * idx_visit_pages_by_path: the pages viewed (views > 0, what the page, scroll and engaged-time panels read) in
--   (path, visitor) order, with what those panels count: 4,320 pages at a million events against the table's
--   10,390 (page breakdown 600 → 140 ms of backend CPU).
-- * idx_user_sessions_by_visitor replaces idx_user_sessions_visitor (the same key, which identity and erasure look
--   visitors up by): the visits in visitor order with the summary's figures and the columns a visit's source,
--   referrer, UTM source and medium, country and device come from, so the summary, the timeseries (each visitor's
--   days, sorted within the visitor) and those breakdowns read 3,275 narrow pages instead of the table's
--   12,742 and group as they read (summary 180 → 70 ms of CPU, timeseries 360 → 110, device 350 → 150).
-- * idx_user_events_goals: the custom events (goals: is_goal() of migration 05, the protocol's BUILTIN_TYPES held
--   equal by report-rollups.test.ts), by time: the goals panel read every user event of the range from the table
--   (12,400 pages at a million events, 530,000 rows of which 39,000 goals) and now reads 241 pages of index.
-- Write cost: the ETL over 40,000 of the bench's events (a fresh schema, batches of 5,000) took a median 5.7 s of
-- backend CPU migrated to 09 (9 runs, 5.1-6.9 s) and 6.1 s migrated to 10 (10 runs, 5.2-7.4; this final form
-- 5.2-6.2 against 5.1-6.3 in three alternating pairs), load 10-17: up to about a tenth more, within the noise.
-- visit_pages updates of views, scroll and engaged time are no longer HOT (idx_visit_pages_by_path carries them),
-- and every session write makes a wider entry. The migration took 3.7-8.4 s on the million-event database.

CREATE INDEX IF NOT EXISTS idx_visit_pages_by_path ON visit_pages (site_id, path, visitor_id)
    INCLUDE (session_start, bot, views, scroll, engaged_ms) WHERE views > 0;

CREATE INDEX IF NOT EXISTS idx_user_sessions_by_visitor ON user_sessions (site_id, visitor_id)
    INCLUDE (session_start, bot, pageview_count, bounce, duration_seconds, referrer_type, referrer_platform, utm_source,
             utm_medium, timezone, screen_width);
DROP INDEX IF EXISTS idx_user_sessions_visitor;

CREATE INDEX IF NOT EXISTS idx_user_events_goals ON user_events (site_id, event_timestamp) INCLUDE (event_type, session_id)
    WHERE is_goal(event_type);
