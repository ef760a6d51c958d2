-- 02_analytics: the tables and views the ETL fills from events_log.
-- Rollback:
--   DROP VIEW IF EXISTS active_sessions, page_performance, traffic_sources;
--   DROP TABLE IF EXISTS daily_site_metrics, form_submissions, user_events, pageviews, user_sessions;
--
-- Differences from the seed, and why:
-- * user_sessions is keyed by (site_id, session_id): session ids come from browsers, so one site must not be
--   able to write into another site's session by reusing its id.
-- * pageviews, user_events and form_submissions carry the `event_id` they came from (unique), so a row can be
--   traced to its raw event and the ETL can never insert one twice.
-- * TEXT where the seed's VARCHAR was shorter than the protocol allows; device_pixel_ratio NUMERIC(5,2)
--   because the protocol allows dpr up to 20 (DECIMAL(3,2) stops at 9.99).
-- * user_sessions.last_event_at: the time of the latest event. A session is active while it is within the
--   30-minute idle window; session_end is set when update_active_sessions() closes it (the seed's
--   active_sessions view looked at session_start, so a long session dropped out while still in use).
-- * page_performance.bounce_rate is the share of sessions entering on the page that bounced (the seed counted
--   views under 10 seconds, which is not a bounce rate); the timing stays as avg_time_on_page.

CREATE TABLE IF NOT EXISTS user_sessions (
    site_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    visitor_id TEXT NOT NULL,

    session_start TIMESTAMPTZ NOT NULL,
    last_event_at TIMESTAMPTZ NOT NULL,
    session_end TIMESTAMPTZ,                      -- NULL while the session may still receive events
    duration_seconds INTEGER NOT NULL DEFAULT 0,  -- last event minus first event

    pageview_count INTEGER NOT NULL DEFAULT 0,
    event_count INTEGER NOT NULL DEFAULT 0,       -- every event of the session, pageviews included
    bounce BOOLEAN NOT NULL DEFAULT TRUE,         -- at most one pageview and no interaction event

    entry_url TEXT,
    entry_path TEXT,
    entry_title TEXT,
    entry_at TIMESTAMPTZ,                         -- time of the entry pageview (merging batches keeps the earliest)
    exit_url TEXT,
    exit_path TEXT,
    exit_at TIMESTAMPTZ,                          -- time of the exit pageview (merging keeps the latest)

    utm_source TEXT,
    utm_medium TEXT,
    utm_campaign TEXT,
    utm_content TEXT,
    utm_term TEXT,
    referrer_type TEXT NOT NULL DEFAULT 'direct' CHECK (referrer_type IN ('direct', 'search', 'social', 'referral')),
    referrer_platform TEXT,
    original_referrer TEXT,

    user_agent TEXT,
    browser_language TEXT,
    timezone TEXT,
    screen_width INTEGER,
    screen_height INTEGER,
    viewport_width INTEGER,
    viewport_height INTEGER,
    device_pixel_ratio NUMERIC(5, 2),

    interaction_count INTEGER NOT NULL DEFAULT 0, -- clicks, forms, copies, custom events: what un-bounces
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (site_id, session_id)
);
CREATE INDEX IF NOT EXISTS idx_user_sessions_start ON user_sessions (site_id, session_start);
CREATE INDEX IF NOT EXISTS idx_user_sessions_open ON user_sessions (last_event_at) WHERE session_end IS NULL;
CREATE INDEX IF NOT EXISTS idx_user_sessions_visitor ON user_sessions (site_id, visitor_id);

CREATE TABLE IF NOT EXISTS pageviews (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id UUID NOT NULL UNIQUE,
    session_id TEXT NOT NULL,
    visitor_id TEXT NOT NULL,
    site_id TEXT NOT NULL,

    url TEXT NOT NULL,
    path TEXT NOT NULL,
    title TEXT,
    query_params TEXT,
    hash_fragment TEXT,

    view_timestamp TIMESTAMPTZ NOT NULL,
    time_on_page_seconds INTEGER,                 -- to the next pageview, or to the session's last event

    referrer TEXT,
    internal_referrer BOOLEAN NOT NULL DEFAULT FALSE,

    utm_source TEXT,
    utm_medium TEXT,
    utm_campaign TEXT,
    utm_content TEXT,
    utm_term TEXT
);
CREATE INDEX IF NOT EXISTS idx_pageviews_site_time ON pageviews (site_id, view_timestamp);
CREATE INDEX IF NOT EXISTS idx_pageviews_session ON pageviews (site_id, session_id, view_timestamp);
CREATE INDEX IF NOT EXISTS idx_pageviews_path ON pageviews (site_id, path);

CREATE TABLE IF NOT EXISTS user_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id UUID NOT NULL UNIQUE,
    session_id TEXT NOT NULL,
    visitor_id TEXT NOT NULL,
    site_id TEXT NOT NULL,

    -- click, scroll, scroll_depth, form_submit, text_copy, page_visibility, web_vital, or a custom name
    event_type TEXT NOT NULL,
    event_timestamp TIMESTAMPTZ NOT NULL,
    page_url TEXT,
    page_path TEXT,

    event_data JSONB,                             -- the event's props

    element_tag TEXT,                             -- click
    element_classes TEXT,                         -- click
    element_id TEXT,                              -- click
    scroll_percentage INTEGER,                    -- scroll, scroll_depth
    form_id TEXT                                  -- form_submit
);
CREATE INDEX IF NOT EXISTS idx_user_events_site_time ON user_events (site_id, event_timestamp);
CREATE INDEX IF NOT EXISTS idx_user_events_session ON user_events (site_id, session_id);
CREATE INDEX IF NOT EXISTS idx_user_events_type ON user_events (site_id, event_type, event_timestamp);

CREATE TABLE IF NOT EXISTS form_submissions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id UUID NOT NULL UNIQUE,
    session_id TEXT NOT NULL,
    visitor_id TEXT NOT NULL,
    site_id TEXT NOT NULL,

    form_id TEXT,
    form_action TEXT,
    form_method TEXT,
    page_url TEXT,
    page_path TEXT,

    submit_timestamp TIMESTAMPTZ NOT NULL,
    field_count INTEGER,
    form_data JSONB                               -- redacted by the SDK, and again by the server at ingest
);
CREATE INDEX IF NOT EXISTS idx_form_submissions_site_time ON form_submissions (site_id, submit_timestamp);

CREATE TABLE IF NOT EXISTS daily_site_metrics (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id TEXT NOT NULL,
    metric_date DATE NOT NULL,                    -- a UTC day

    unique_visitors INTEGER NOT NULL DEFAULT 0,
    total_sessions INTEGER NOT NULL DEFAULT 0,    -- sessions that started on the day
    total_pageviews INTEGER NOT NULL DEFAULT 0,   -- pageviews viewed on the day
    bounce_rate NUMERIC(5, 4),

    avg_session_duration_seconds INTEGER,
    avg_pages_per_session NUMERIC(8, 2),
    total_events INTEGER NOT NULL DEFAULT 0,      -- user_events on the day

    direct_sessions INTEGER NOT NULL DEFAULT 0,
    search_sessions INTEGER NOT NULL DEFAULT 0,
    social_sessions INTEGER NOT NULL DEFAULT 0,
    referral_sessions INTEGER NOT NULL DEFAULT 0,

    computed_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (site_id, metric_date)
);

-- Sessions with an event in the last 30 minutes that update_active_sessions() has not closed.
CREATE OR REPLACE VIEW active_sessions AS
SELECT s.*, (NOW() - s.session_start) AS session_age
FROM user_sessions s
WHERE s.session_end IS NULL
  AND s.last_event_at > NOW() - INTERVAL '30 minutes';

-- Per page over 30 days: views, time on page, and the bounce rate of sessions that entered on it.
CREATE OR REPLACE VIEW page_performance AS
WITH views AS (
    SELECT site_id, path,
           COUNT(*) AS total_views,
           AVG(time_on_page_seconds) AS avg_time_on_page,
           COUNT(DISTINCT session_id) AS unique_sessions
    FROM pageviews
    WHERE view_timestamp > NOW() - INTERVAL '30 days'
    GROUP BY site_id, path
), entries AS (
    SELECT site_id, entry_path AS path,
           COUNT(*) AS entrances,
           COUNT(*) FILTER (WHERE bounce) AS bounces
    FROM user_sessions
    WHERE session_start > NOW() - INTERVAL '30 days'
    GROUP BY site_id, entry_path
)
SELECT v.site_id, v.path, v.total_views, v.avg_time_on_page, v.unique_sessions,
       COALESCE(e.entrances, 0) AS entrances,
       CASE WHEN COALESCE(e.entrances, 0) = 0 THEN NULL
            ELSE e.bounces::NUMERIC / e.entrances END AS bounce_rate
FROM views v
LEFT JOIN entries e ON e.site_id = v.site_id AND e.path = v.path;

-- Sessions by source over 30 days.
CREATE OR REPLACE VIEW traffic_sources AS
SELECT
    site_id,
    referrer_type,
    referrer_platform,
    COUNT(*) AS sessions,
    COUNT(DISTINCT visitor_id) AS unique_visitors,
    AVG(duration_seconds) AS avg_session_duration,
    AVG(pageview_count) AS avg_pages_per_session,
    AVG(CASE WHEN bounce THEN 1 ELSE 0 END) AS bounce_rate
FROM user_sessions
WHERE session_start > NOW() - INTERVAL '30 days'
GROUP BY site_id, referrer_type, referrer_platform;
