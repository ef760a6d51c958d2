-- 04_visit_pages: one row per visit and page path, kept by triggers, for the dashboard's page breakdown.
-- Rollback:
--   DROP TRIGGER IF EXISTS visit_pages_added ON pageviews; --   --   --   --   --   DROP FUNCTION IF EXISTS visit_pages_add(), visit_pages_remove(), visit_pages_empty(), visit_pages_follow_session(),
--     visit_pages_drop_session();
--   DROP TABLE IF EXISTS visit_pages;
--
-- Why: the page breakdown of a 30-day view counts, per path, the visits and distinct visitors among the visits
-- that started in the range. From `pageviews` that is an aggregate of every pageview by (path, visit), a join
-- with the range's sessions for their visitor and start, and an aggregate by (path, visitor): 1.2 s at a million
-- events. This table holds the first two steps already done, with the session's visitor and start copied in,
-- so the panel is one range scan and the (path, visitor) aggregate.
--
-- Kept by statement-level triggers with transition tables, so whoever writes pageviews or sessions (the ETL
-- procedure, a backfill, an operator erasing a visitor) keeps it right without calling anything:
-- * pageviews inserted add to their (visit, path) row; deleted ones subtract, and a row at zero goes;
--   TRUNCATE empties it. (Nothing updates a pageview's site, session or path: the ETL only sets time on page.)
-- * a session inserted or updated copies its visitor and start into its rows when they differ (a later batch
--   can bring a visit's earlier events and move its start); a session deleted takes its rows with it.
-- Each statement over a transition table runs through EXECUTE, planned on every call for the rows it has: a
-- plan cached from a first batch of 50,000 sessions would scan whole tables for every later batch of ten.
-- Concurrency: the ETL upserts a batch's sessions before its pageviews, so two runners adding to one visit's
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

CREATE OR REPLACE FUNCTION visit_pages_add() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
    -- A pageview without its session yet (not the ETL's order) takes its own visitor and time until the
    -- session's insert copies the session's in.
    EXECUTE 'INSERT INTO visit_pages AS vp (site_id, session_id, path, visitor_id, session_start, views)
        SELECT n.site_id, n.session_id, n.path, COALESCE(min(s.visitor_id), min(n.visitor_id)),
               COALESCE(min(s.session_start), min(n.view_timestamp)), count(*)
        FROM added n
        LEFT JOIN user_sessions s ON s.site_id = n.site_id AND s.session_id = n.session_id
        GROUP BY n.site_id, n.session_id, n.path
        ORDER BY n.site_id, n.session_id, n.path
        ON CONFLICT (site_id, session_id, path) DO UPDATE SET views = vp.views + EXCLUDED.views';
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
            RETURNING vp.site_id
        )
        DELETE FROM visit_pages vp USING gone
        WHERE vp.site_id = gone.site_id AND vp.session_id = gone.session_id AND vp.path = gone.path AND vp.views <= gone.n';
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION visit_pages_empty() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE visit_pages;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION visit_pages_follow_session() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'UPDATE visit_pages vp SET visitor_id = s.visitor_id, session_start = s.session_start
             FROM changed s
             WHERE vp.site_id = s.site_id AND vp.session_id = s.session_id
               AND (vp.visitor_id <> s.visitor_id OR vp.session_start <> s.session_start)';
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION visit_pages_drop_session() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'DELETE FROM visit_pages vp USING removed s WHERE vp.site_id = s.site_id AND vp.session_id = s.session_id';
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER visit_pages_added AFTER INSERT ON pageviews
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION visit_pages_add();
CREATE OR REPLACE TRIGGER visit_pages_removed AFTER DELETE ON pageviews
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION visit_pages_remove();
CREATE OR REPLACE TRIGGER visit_pages_emptied AFTER TRUNCATE ON pageviews
    FOR EACH STATEMENT EXECUTE FUNCTION visit_pages_empty();
CREATE OR REPLACE TRIGGER visit_pages_session_added AFTER INSERT ON user_sessions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION visit_pages_follow_session();
CREATE OR REPLACE TRIGGER visit_pages_session_changed AFTER UPDATE ON user_sessions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION visit_pages_follow_session();
CREATE OR REPLACE TRIGGER visit_pages_session_removed AFTER DELETE ON user_sessions
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION visit_pages_drop_session();

-- The pageviews already stored (a database migrated from 03).
INSERT INTO visit_pages (site_id, session_id, path, visitor_id, session_start, views)
SELECT p.site_id, p.session_id, p.path, COALESCE(min(s.visitor_id), min(p.visitor_id)),
       COALESCE(min(s.session_start), min(p.view_timestamp)), count(*)
FROM pageviews p
LEFT JOIN user_sessions s ON s.site_id = p.site_id AND s.session_id = p.session_id
GROUP BY p.site_id, p.session_id, p.path
ON CONFLICT (site_id, session_id, path) DO NOTHING;
