-- 04_visit_rollups: per-visit rollups kept by triggers, for the dashboard's page breakdown and web vitals.
-- Rollback:
--   DROP TABLE IF EXISTS visit_pages, visit_vitals;  (their triggers go with the functions:)
--   DROP FUNCTION IF EXISTS visit_pages_add(), visit_pages_remove(), visit_vitals_add(), visit_vitals_remove(),
--     visit_rollup_empty(), visit_rollup_follow_session(), visit_rollup_drop_session() CASCADE;
--   DROP FUNCTION IF EXISTS visit_pages_upsert(TEXT), visit_vitals_upsert(TEXT), vital_report(JSONB, UUID);
--
-- Why: the dashboard counts a visit's pages and vitals among the visits that started in the range. From the event
-- tables that means, at a million events, aggregating every pageview by (path, visit), joining the range's
-- sessions for their visitor and start, and aggregating again (1.2 s for the page breakdown); and for vitals,
-- extracting each report from its JSON, joining the sessions and sorting for each metric's last report (0.6 s).
-- These tables hold those steps done, with the session's visitor and start copied in, so a panel is one range
-- scan of its table and one aggregate.
-- * visit_pages: one row per visit and page path, with its views.
-- * visit_vitals: one row per visit and metric (name and metric id, as statsPanel() keys them), with the value
--   of its last report (latest time, then latest user_events row).
--
-- Kept by statement-level triggers with transition tables, so whoever writes the tables (the ETL procedure, a
-- backfill, an operator erasing a visitor) keeps them right without calling anything:
-- * pageviews inserted add to their (visit, path) row; deleted ones subtract, and a row at zero goes.
-- * web_vital events inserted replace their metric's value when they are its latest report; deleted ones make
--   their visits' metrics be recomputed from what is left.
-- * TRUNCATE of pageviews or user_events empties its rollup. (Nothing updates an event's site, session, path or
--   props: the ETL only sets a pageview's time on page.)
-- * a session inserted or updated copies its visitor and start into its rows in both tables when they differ
--   (a later batch can bring a visit's earlier events and move its start); a session deleted takes its rows.
-- Each statement over a transition table runs through EXECUTE, planned on every call for the rows it has: a
-- plan cached from a first batch of 50,000 sessions would scan whole tables for every later batch of ten.
-- Concurrency: the ETL upserts a batch's sessions before its events, so two runners adding to one visit's
-- rows wait on that session's row lock; rows are upserted in key order.

CREATE TABLE IF NOT EXISTS visit_pages (
    site_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    path TEXT NOT NULL,
    visitor_id TEXT NOT NULL,                -- the session's visitor (user_sessions.visitor_id)
    session_start TIMESTAMPTZ NOT NULL,      -- the session's start (user_sessions.session_start)
    views INTEGER NOT NULL CHECK (views > 0),
    PRIMARY KEY (site_id, session_id, path)
);
CREATE INDEX IF NOT EXISTS idx_visit_pages_start ON visit_pages (site_id, session_start);

-- The statement that adds the pageviews of `source` (a relation with pageviews' columns: the trigger's
-- transition table, or the pageviews table itself when filling): each (visit, path) row gains their count. A
-- pageview without its session yet (not the ETL's order) takes its own visitor and time until the session's
-- insert copies the session's in.
CREATE OR REPLACE FUNCTION visit_pages_upsert(source TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE AS $$
    SELECT format('INSERT INTO visit_pages AS vp (site_id, session_id, path, visitor_id, session_start, views)
        SELECT n.site_id, n.session_id, n.path, COALESCE(min(s.visitor_id), min(n.visitor_id)),
               COALESCE(min(s.session_start), min(n.view_timestamp)), count(*)
        FROM %s n
        LEFT JOIN user_sessions s ON s.site_id = n.site_id AND s.session_id = n.session_id
        GROUP BY n.site_id, n.session_id, n.path
        ORDER BY n.site_id, n.session_id, n.path
        ON CONFLICT (site_id, session_id, path) DO UPDATE SET views = vp.views + EXCLUDED.views', source)
$$;

CREATE OR REPLACE FUNCTION visit_pages_add() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE visit_pages_upsert('added');
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION visit_pages_remove() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'WITH gone AS (
            SELECT site_id, session_id, path, count(*) AS n FROM removed GROUP BY site_id, session_id, path
        ), lowered AS (
            UPDATE visit_pages vp SET views = vp.views - gone.n
            FROM gone
            WHERE vp.site_id = gone.site_id AND vp.session_id = gone.session_id AND vp.path = gone.path AND vp.views > gone.n
        )
        DELETE FROM visit_pages vp USING gone
        WHERE vp.site_id = gone.site_id AND vp.session_id = gone.session_id AND vp.path = gone.path AND vp.views <= gone.n';
    RETURN NULL;
END
$$;

-- The rollups a trigger keeps are its arguments.
CREATE OR REPLACE FUNCTION visit_rollup_empty() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
DECLARE
    rollup TEXT;
BEGIN
    FOREACH rollup IN ARRAY TG_ARGV LOOP
        EXECUTE format('TRUNCATE %I', rollup);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION visit_rollup_follow_session() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
DECLARE
    rollup TEXT;
BEGIN
    FOREACH rollup IN ARRAY TG_ARGV LOOP
        EXECUTE format('UPDATE %I r SET visitor_id = s.visitor_id, session_start = s.session_start
                        FROM changed s
                        WHERE r.site_id = s.site_id AND r.session_id = s.session_id
                          AND (r.visitor_id <> s.visitor_id OR r.session_start <> s.session_start)', rollup);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION visit_rollup_drop_session() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
DECLARE
    rollup TEXT;
BEGIN
    FOREACH rollup IN ARRAY TG_ARGV LOOP
        EXECUTE format('DELETE FROM %I r USING removed s WHERE r.site_id = s.site_id AND r.session_id = s.session_id',
                       rollup);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TABLE IF NOT EXISTS visit_vitals (
    site_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    name TEXT NOT NULL,                      -- props.name: LCP, INP, CLS …
    metric_id TEXT NOT NULL,                 -- props.id when a string, else the report's event_id
    visitor_id TEXT NOT NULL,                -- the session's visitor
    session_start TIMESTAMPTZ NOT NULL,      -- the session's start
    value DOUBLE PRECISION NOT NULL,         -- props.value of the last report
    reported_at TIMESTAMPTZ NOT NULL,        -- the last report's time
    report_row BIGINT NOT NULL,              -- the last report's user_events.id (same time: the later row wins)
    PRIMARY KEY (site_id, session_id, name, metric_id)
);
CREATE INDEX IF NOT EXISTS idx_visit_vitals_start ON visit_vitals (site_id, session_start);

-- A web vital report's metric and value, or no row when its props do not make one (as vitalsOf() skips them):
-- the name a string, the value a JSON number a double holds.
CREATE OR REPLACE FUNCTION vital_report(props JSONB, event_id UUID, OUT name TEXT, OUT metric_id TEXT, OUT value DOUBLE PRECISION)
RETURNS SETOF RECORD
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT props ->> 'name',
           CASE WHEN jsonb_typeof(props -> 'id') = 'string' THEN props ->> 'id' ELSE event_id::TEXT END,
           (props ->> 'value')::DOUBLE PRECISION
    WHERE jsonb_typeof(props -> 'name') = 'string' AND jsonb_typeof(props -> 'value') = 'number'
      AND abs((props ->> 'value')::NUMERIC) < 1e308
      AND ((props ->> 'value')::NUMERIC = 0 OR abs((props ->> 'value')::NUMERIC) > 1e-300)
$$;

-- The statement that adds the web vital reports of `source` (a relation with user_events' columns): the
-- last report of each metric replaces the stored value when it is later.
CREATE OR REPLACE FUNCTION visit_vitals_upsert(source TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE AS $$
    SELECT format('INSERT INTO visit_vitals AS vv (site_id, session_id, name, metric_id, visitor_id, session_start,
                                                  value, reported_at, report_row)
        SELECT DISTINCT ON (n.site_id, n.session_id, r.name, r.metric_id)
               n.site_id, n.session_id, r.name, r.metric_id, COALESCE(s.visitor_id, n.visitor_id),
               COALESCE(s.session_start, n.event_timestamp), r.value, n.event_timestamp, n.id
        FROM %s n
        CROSS JOIN LATERAL vital_report(n.event_data, n.event_id) r
        LEFT JOIN user_sessions s ON s.site_id = n.site_id AND s.session_id = n.session_id
        WHERE n.event_type = %L
        ORDER BY n.site_id, n.session_id, r.name, r.metric_id, n.event_timestamp DESC, n.id DESC
        ON CONFLICT (site_id, session_id, name, metric_id) DO UPDATE
            SET value = EXCLUDED.value, reported_at = EXCLUDED.reported_at, report_row = EXCLUDED.report_row
            WHERE (EXCLUDED.reported_at, EXCLUDED.report_row) > (vv.reported_at, vv.report_row)', source, 'web_vital')
$$;

CREATE OR REPLACE FUNCTION visit_vitals_add() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE visit_vitals_upsert('added');
    RETURN NULL;
END
$$;

-- Deleted reports: their visits' metrics are recomputed from the reports left.
CREATE OR REPLACE FUNCTION visit_vitals_remove() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'DELETE FROM visit_vitals vv USING (SELECT DISTINCT site_id, session_id FROM removed) g
             WHERE vv.site_id = g.site_id AND vv.session_id = g.session_id';
    EXECUTE visit_vitals_upsert('(SELECT e.* FROM user_events e
        WHERE (e.site_id, e.session_id) IN (SELECT site_id, session_id FROM removed WHERE event_type = ''web_vital''))');
    RETURN NULL;
END
$$;

-- Each rollup follows its event table: <rollup>_add() on insert, <rollup>_remove() on delete, emptied on TRUNCATE.
DO $$
DECLARE
    t RECORD;
BEGIN
    FOR t IN SELECT * FROM (VALUES ('visit_pages', 'pageviews'), ('visit_vitals', 'user_events')) AS r(rollup, source) LOOP
        EXECUTE format('CREATE OR REPLACE TRIGGER %1$s_added AFTER INSERT ON %2$I REFERENCING NEW TABLE AS added
                        FOR EACH STATEMENT EXECUTE FUNCTION %1$s_add()', t.rollup, t.source);
        EXECUTE format('CREATE OR REPLACE TRIGGER %1$s_removed AFTER DELETE ON %2$I REFERENCING OLD TABLE AS removed
                        FOR EACH STATEMENT EXECUTE FUNCTION %1$s_remove()', t.rollup, t.source);
        EXECUTE format('CREATE OR REPLACE TRIGGER %1$s_emptied AFTER TRUNCATE ON %2$I
                        FOR EACH STATEMENT EXECUTE FUNCTION visit_rollup_empty(%1$L)', t.rollup, t.source);
    END LOOP;
END
$$;
CREATE OR REPLACE TRIGGER visit_rollups_session_added AFTER INSERT ON user_sessions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION visit_rollup_follow_session('visit_pages', 'visit_vitals');
CREATE OR REPLACE TRIGGER visit_rollups_session_changed AFTER UPDATE ON user_sessions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION visit_rollup_follow_session('visit_pages', 'visit_vitals');
CREATE OR REPLACE TRIGGER visit_rollups_session_removed AFTER DELETE ON user_sessions
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION visit_rollup_drop_session('visit_pages', 'visit_vitals');

-- What a database migrated from 03 already holds.
DO $$
BEGIN
    EXECUTE visit_pages_upsert('pageviews');
    EXECUTE visit_vitals_upsert('user_events');
END
$$;
