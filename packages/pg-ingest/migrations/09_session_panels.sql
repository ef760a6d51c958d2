-- 09_session_panels: the panels over user_sessions at a million events (issue 22).
-- Rollback:
--   ALTER TABLE user_sessions DROP COLUMN browser, DROP COLUMN os;
--   DROP FUNCTION IF EXISTS agent_browser(TEXT), agent_os(TEXT);
--   DROP INDEX IF EXISTS idx_user_sessions_panels;
--   CREATE INDEX IF NOT EXISTS idx_user_sessions_start ON user_sessions (site_id, session_start);
--
-- * browser, os: the browser and OS breakdowns (and a filter by either) named each visit's browser and OS from its
--   stored user agent at request time: a regular expression for a stored class (`Chrome; Windows; desktop`,
--   agentClass()) and the protocol's substring rules for a raw user agent stored before classes, for every visit of
--   the range (at a million events 540 and 460 ms of CPU, the slowest panels). Stored generated columns hold the
--   same names, computed once when a session is written. agent_browser() and agent_os() are parseAgentClass() of
--   @trailmark/protocol: a stored class gives its own parts (an empty part is unknown); a raw user agent, the first
--   rule whose needle it contains (BROWSER_RULES, OS_RULES, in order); nothing else is named (report-rollups.test.ts
--   holds them equal to the protocol's). Adding the columns rewrites user_sessions once, computing them for every
--   existing row.
-- * idx_user_sessions_panels replaces idx_user_sessions_start (the same key): it carries what the summary and the
--   timeseries read of a visit, so they read the range's narrow index entries (an index-only scan once vacuum has
--   marked the pages all-visible) instead of its whole rows (100 MB of heap at a million events: summary 190 → 110
--   ms of CPU, timeseries 260 → 180). The breakdowns' columns as well made it a quarter of the table, which the
--   planner rightly read no faster than the table. Every write of a session already changed an indexed column
--   (last_event_at, idx_user_sessions_open), so none was a HOT update: the wider entry is the only write cost.
-- Write cost: the ETL over 40,000 events of the bench took 4.48–4.56 s of backend CPU with this migration against
-- 4.52–4.55 s without it (alternating runs at load 11): none measurable.

CREATE OR REPLACE FUNCTION agent_browser(user_agent TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN user_agent ~ '^[^;()/]*; [^;()/]*; (desktop|mobile|tablet|bot)$' THEN NULLIF(split_part(user_agent, '; ', 1), '')
        WHEN strpos(user_agent, 'Edg/') > 0 THEN 'Edge'
        WHEN strpos(user_agent, 'OPR/') > 0 THEN 'Opera'
        WHEN strpos(user_agent, 'SamsungBrowser/') > 0 THEN 'Samsung Internet'
        WHEN strpos(user_agent, 'Firefox/') > 0 THEN 'Firefox'
        WHEN strpos(user_agent, 'FxiOS/') > 0 THEN 'Firefox'
        WHEN strpos(user_agent, 'CriOS/') > 0 THEN 'Chrome'
        WHEN strpos(user_agent, 'Chromium/') > 0 THEN 'Chromium'
        WHEN strpos(user_agent, 'Chrome/') > 0 THEN 'Chrome'
        WHEN strpos(user_agent, 'Safari/') > 0 THEN 'Safari'
    END
$$;

CREATE OR REPLACE FUNCTION agent_os(user_agent TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN user_agent ~ '^[^;()/]*; [^;()/]*; (desktop|mobile|tablet|bot)$' THEN NULLIF(split_part(user_agent, '; ', 2), '')
        WHEN strpos(user_agent, 'Windows') > 0 THEN 'Windows'
        WHEN strpos(user_agent, 'Android') > 0 THEN 'Android'
        WHEN strpos(user_agent, 'iPhone') > 0 THEN 'iOS'
        WHEN strpos(user_agent, 'iPad') > 0 THEN 'iOS'
        WHEN strpos(user_agent, 'CrOS') > 0 THEN 'Chrome OS'
        WHEN strpos(user_agent, 'Mac OS X') > 0 THEN 'macOS'
        WHEN strpos(user_agent, 'Linux') > 0 THEN 'Linux'
    END
$$;

ALTER TABLE user_sessions
    ADD COLUMN IF NOT EXISTS browser TEXT GENERATED ALWAYS AS (agent_browser(user_agent)) STORED,
    ADD COLUMN IF NOT EXISTS os TEXT GENERATED ALWAYS AS (agent_os(user_agent)) STORED;

CREATE INDEX IF NOT EXISTS idx_user_sessions_panels ON user_sessions (site_id, session_start)
    INCLUDE (bot, visitor_id, pageview_count, bounce, duration_seconds);
DROP INDEX IF EXISTS idx_user_sessions_start;
