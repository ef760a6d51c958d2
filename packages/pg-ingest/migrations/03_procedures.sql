-- 03_procedures: the ETL from events_log into the analytics tables, in PL/pgSQL.
-- Rollback:
--   DROP PROCEDURE IF EXISTS process_events_batch(INTEGER, INTEGER), update_active_sessions(INTEGER),
--     calculate_daily_metrics(DATE, DATE, INTEGER), cleanup_processed_events(INTEGER, BIGINT);
--   DROP FUNCTION IF EXISTS classify_traffic_source(TEXT, TEXT, TEXT, TEXT), traffic_platform(TEXT, TEXT),
--     url_host(TEXT), jsonb_small_int(JSONB);
--   DROP TABLE IF EXISTS traffic_platforms;
--
-- Concurrency: every procedure may run beside ingest and beside another copy of itself.
-- * process_events_batch claims raw rows with FOR UPDATE SKIP LOCKED, so two runners never take the same
--   event; sessions are merged with commutative upserts (LEAST/GREATEST/sums) in session-key order, so two
--   runners touching one session wait on its row instead of deadlocking, and the second sees the first's rows.
-- * update_active_sessions skips rows another transaction holds.
-- * calculate_daily_metrics recomputes whole days from the analytics tables and upserts them in key order,
--   so rerunning a day (or two runs at once) leaves the same row.
-- Each procedure returns what it did in its INOUT argument: `CALL process_events_batch(1000)` answers one row.

-- Host fragments → platform, matched against a host's dot-separated labels (`google` hits `www.google.co.uk`).
-- The same table as `classifySource()` in @trailmark/protocol (a test compares the two); `priority` keeps
-- its lookup order.
CREATE TABLE IF NOT EXISTS traffic_platforms (
    kind TEXT NOT NULL CHECK (kind IN ('search', 'social')),
    pattern TEXT NOT NULL,
    platform TEXT NOT NULL,
    priority INTEGER NOT NULL,
    PRIMARY KEY (kind, pattern)
);

INSERT INTO traffic_platforms (kind, pattern, platform, priority) VALUES
    ('search', 'google', 'google', 1), ('search', 'bing', 'bing', 2), ('search', 'duckduckgo', 'duckduckgo', 3),
    ('search', 'yahoo', 'yahoo', 4), ('search', 'baidu', 'baidu', 5), ('search', 'yandex', 'yandex', 6),
    ('search', 'ecosia', 'ecosia', 7), ('search', 'qwant', 'qwant', 8), ('search', 'startpage', 'startpage', 9),
    ('search', 'search.brave', 'brave', 10), ('search', 'naver', 'naver', 11), ('search', 'seznam', 'seznam', 12),
    ('search', 'kagi', 'kagi', 13),
    ('social', 'facebook', 'facebook', 1), ('social', 'fb', 'facebook', 2), ('social', 'instagram', 'instagram', 3),
    ('social', 't.co', 'twitter', 4), ('social', 'twitter', 'twitter', 5), ('social', 'x.com', 'twitter', 6),
    ('social', 'linkedin', 'linkedin', 7), ('social', 'lnkd.in', 'linkedin', 8), ('social', 'reddit', 'reddit', 9),
    ('social', 'pinterest', 'pinterest', 10), ('social', 'youtube', 'youtube', 11), ('social', 'youtu.be', 'youtube', 12),
    ('social', 'tiktok', 'tiktok', 13), ('social', 'threads', 'threads', 14), ('social', 'mastodon', 'mastodon', 15),
    ('social', 'bsky', 'bluesky', 16), ('social', 'news.ycombinator', 'hackernews', 17),
    ('social', 'whatsapp', 'whatsapp', 18), ('social', 'telegram', 'telegram', 19), ('social', 't.me', 'telegram', 20),
    ('social', 'snapchat', 'snapchat', 21), ('social', 'vk', 'vk', 22), ('social', 'weibo', 'weibo', 23)
ON CONFLICT (kind, pattern) DO NOTHING;

-- The lower-cased host of an absolute URL, or NULL.
CREATE OR REPLACE FUNCTION url_host(url TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT NULLIF(lower(substring(url FROM '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?([^/?#:]+)')), '')
$$;

-- The platform a host belongs to in one kind of the table, or NULL.
CREATE OR REPLACE FUNCTION traffic_platform(host TEXT, wanted_kind TEXT) RETURNS TEXT
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT platform
    FROM traffic_platforms
    WHERE kind = wanted_kind
      AND ('.' || regexp_replace(lower(host), '^www\.', '') || '.') LIKE ('%.' || pattern || '.%')
    ORDER BY priority
    LIMIT 1
$$;

-- A session's source from its landing referrer and UTM tags, as classifySource() does: an external referrer
-- decides first (search engine, social network, else a referral named by its host); without one, utm_source
-- (and a paid/organic or social utm_medium) names it; otherwise the visit is direct.
CREATE OR REPLACE FUNCTION classify_traffic_source(
    referrer TEXT, page_url TEXT, utm_source TEXT, utm_medium TEXT,
    OUT source_type TEXT, OUT platform TEXT
)
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    ref_host TEXT := url_host(referrer);
    tag TEXT := lower(NULLIF(utm_source, ''));
    medium TEXT := lower(COALESCE(utm_medium, ''));
    as_host TEXT;
    hit TEXT;
BEGIN
    IF ref_host IS NOT NULL AND ref_host IS DISTINCT FROM url_host(page_url) THEN
        hit := traffic_platform(ref_host, 'search');
        IF hit IS NOT NULL THEN source_type := 'search'; platform := hit; RETURN; END IF;
        hit := traffic_platform(ref_host, 'social');
        IF hit IS NOT NULL THEN source_type := 'social'; platform := hit; RETURN; END IF;
        source_type := 'referral'; platform := regexp_replace(ref_host, '^www\.', ''); RETURN;
    END IF;
    IF tag IS NOT NULL THEN
        as_host := CASE WHEN position('.' IN tag) > 0 THEN tag ELSE tag || '.com' END;
        hit := traffic_platform(as_host, 'search');
        IF hit IS NOT NULL OR medium ~ '^(cpc|ppc|paidsearch|organic)$' THEN
            source_type := 'search'; platform := COALESCE(hit, tag); RETURN;
        END IF;
        hit := traffic_platform(as_host, 'social');
        IF hit IS NOT NULL OR medium ~ 'social' THEN
            source_type := 'social'; platform := COALESCE(hit, tag); RETURN;
        END IF;
        source_type := 'referral'; platform := tag; RETURN;
    END IF;
    source_type := 'direct'; platform := NULL;
END
$$;

-- A JSON number (or digit string) as an integer clamped to 0..100000; NULL for anything else. Props are
-- client data: a cast that can fail would stop the ETL on one bad event forever.
CREATE OR REPLACE FUNCTION jsonb_small_int(value JSONB) RETURNS INTEGER
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN jsonb_typeof(value) = 'number' THEN GREATEST(0, LEAST(100000, round((value #>> '{}')::NUMERIC)))::INTEGER
        WHEN jsonb_typeof(value) = 'string' AND (value #>> '{}') ~ '^\s*\d{1,6}(\.\d+)?\s*%?\s*$'
            THEN LEAST(100000, round(substring(value #>> '{}' FROM '\d{1,6}(?:\.\d+)?')::NUMERIC))::INTEGER
    END
$$;

-- Moves up to batch_size unprocessed raw events into the analytics tables and stamps them processed.
CREATE OR REPLACE PROCEDURE process_events_batch(batch_size INTEGER DEFAULT 1000, INOUT processed INTEGER DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
    ids BIGINT[];
BEGIN
    IF batch_size IS NULL OR batch_size < 1 THEN
        RAISE EXCEPTION 'batch_size must be at least 1, got %', batch_size;
    END IF;

    -- Claim: rows another runner holds are skipped, not waited for.
    WITH claimed AS (
        SELECT id FROM events_log
        WHERE processed_at IS NULL
        ORDER BY id
        LIMIT batch_size
        FOR UPDATE SKIP LOCKED
    ), stamped AS (
        UPDATE events_log e SET processed_at = NOW()
        FROM claimed c WHERE e.id = c.id
        RETURNING e.id
    )
    SELECT array_agg(id) INTO ids FROM stamped;

    processed := COALESCE(cardinality(ids), 0);
    IF processed = 0 THEN
        RETURN;
    END IF;

    -- Sessions first: their row locks order two runners that share a session (see the header).
    WITH b AS (
        SELECT e.id, e.event_type, e.site_id, e.session_id, e.visitor_id, e."timestamp" AS at, e.url, e.path,
               e.user_agent, e.raw_event_data AS r, (e.raw_event_data ->> 'seq')::NUMERIC AS seq
        FROM events_log e
        WHERE e.id = ANY (ids) AND e.event_type <> 'sdk_dropped'
    ), agg AS (
        SELECT site_id, session_id, min(visitor_id) AS visitor_id, min(at) AS first_at, max(at) AS last_at,
               count(*) FILTER (WHERE event_type = 'pageview') AS pageviews,
               count(*) FILTER (WHERE event_type NOT IN ('heartbeat', 'page_leave')) AS events,
               count(*) FILTER (WHERE event_type NOT IN ('pageview', 'heartbeat', 'page_leave', 'scroll',
                                                         'scroll_depth', 'page_visibility', 'web_vital')) AS interactions
        FROM b GROUP BY site_id, session_id
    ), first_event AS (
        SELECT DISTINCT ON (site_id, session_id) site_id, session_id, url, user_agent, r
        FROM b ORDER BY site_id, session_id, at, seq, id
    ), entry AS (
        SELECT DISTINCT ON (site_id, session_id) site_id, session_id, at, url, path, r ->> 'title' AS title
        FROM b WHERE event_type = 'pageview' ORDER BY site_id, session_id, at, seq, id
    ), exit AS (
        SELECT DISTINCT ON (site_id, session_id) site_id, session_id, at, url, path
        FROM b WHERE event_type = 'pageview' ORDER BY site_id, session_id, at DESC, seq DESC, id DESC
    )
    INSERT INTO user_sessions AS s (
        site_id, session_id, visitor_id, session_start, last_event_at, session_end, duration_seconds,
        pageview_count, event_count, interaction_count, bounce,
        entry_url, entry_path, entry_title, entry_at, exit_url, exit_path, exit_at,
        utm_source, utm_medium, utm_campaign, utm_content, utm_term,
        referrer_type, referrer_platform, original_referrer,
        user_agent, browser_language, timezone, screen_width, screen_height, viewport_width, viewport_height,
        device_pixel_ratio, updated_at
    )
    SELECT a.site_id, a.session_id, a.visitor_id, a.first_at, a.last_at,
           CASE WHEN a.last_at <= NOW() - INTERVAL '30 minutes' THEN a.last_at END,
           EXTRACT(EPOCH FROM a.last_at - a.first_at)::INTEGER,
           a.pageviews, a.events, a.interactions, a.pageviews <= 1 AND a.interactions = 0,
           en.url, en.path, en.title, en.at, ex.url, ex.path, ex.at,
           f.r ->> 'utm_source', f.r ->> 'utm_medium', f.r ->> 'utm_campaign', f.r ->> 'utm_content', f.r ->> 'utm_term',
           src.source_type, src.platform, f.r ->> 'referrer',
           f.user_agent, f.r ->> 'language', f.r ->> 'timezone',
           jsonb_small_int(f.r -> 'screen_w'), jsonb_small_int(f.r -> 'screen_h'),
           jsonb_small_int(f.r -> 'viewport_w'), jsonb_small_int(f.r -> 'viewport_h'),
           CASE WHEN jsonb_typeof(f.r -> 'dpr') = 'number' THEN LEAST(999, (f.r ->> 'dpr')::NUMERIC)::NUMERIC(5, 2) END,
           NOW()
    FROM agg a
    JOIN first_event f USING (site_id, session_id)
    LEFT JOIN entry en USING (site_id, session_id)
    LEFT JOIN exit ex USING (site_id, session_id)
    CROSS JOIN LATERAL classify_traffic_source(f.r ->> 'referrer', COALESCE(en.url, f.url),
                                               f.r ->> 'utm_source', f.r ->> 'utm_medium') src
    ORDER BY a.site_id, a.session_id
    ON CONFLICT (site_id, session_id) DO UPDATE SET
        session_start = LEAST(s.session_start, EXCLUDED.session_start),
        last_event_at = GREATEST(s.last_event_at, EXCLUDED.last_event_at),
        session_end = CASE WHEN GREATEST(s.last_event_at, EXCLUDED.last_event_at) <= NOW() - INTERVAL '30 minutes'
                           THEN GREATEST(s.last_event_at, EXCLUDED.last_event_at) END,
        duration_seconds = EXTRACT(EPOCH FROM GREATEST(s.last_event_at, EXCLUDED.last_event_at)
                                              - LEAST(s.session_start, EXCLUDED.session_start))::INTEGER,
        pageview_count = s.pageview_count + EXCLUDED.pageview_count,
        event_count = s.event_count + EXCLUDED.event_count,
        interaction_count = s.interaction_count + EXCLUDED.interaction_count,
        bounce = s.pageview_count + EXCLUDED.pageview_count <= 1 AND s.interaction_count + EXCLUDED.interaction_count = 0,
        -- Entry: the earliest pageview seen so far; exit: the latest.
        entry_url = CASE WHEN EXCLUDED.entry_at < s.entry_at OR s.entry_at IS NULL THEN COALESCE(EXCLUDED.entry_url, s.entry_url) ELSE s.entry_url END,
        entry_path = CASE WHEN EXCLUDED.entry_at < s.entry_at OR s.entry_at IS NULL THEN COALESCE(EXCLUDED.entry_path, s.entry_path) ELSE s.entry_path END,
        entry_title = CASE WHEN EXCLUDED.entry_at < s.entry_at OR s.entry_at IS NULL THEN COALESCE(EXCLUDED.entry_title, s.entry_title) ELSE s.entry_title END,
        entry_at = LEAST(s.entry_at, EXCLUDED.entry_at),
        exit_url = CASE WHEN EXCLUDED.exit_at >= s.exit_at OR s.exit_at IS NULL THEN COALESCE(EXCLUDED.exit_url, s.exit_url) ELSE s.exit_url END,
        exit_path = CASE WHEN EXCLUDED.exit_at >= s.exit_at OR s.exit_at IS NULL THEN COALESCE(EXCLUDED.exit_path, s.exit_path) ELSE s.exit_path END,
        exit_at = GREATEST(s.exit_at, EXCLUDED.exit_at),
        -- Attribution and device: from the session's first event, wherever it arrived.
        utm_source = CASE WHEN EXCLUDED.session_start < s.session_start THEN EXCLUDED.utm_source ELSE s.utm_source END,
        utm_medium = CASE WHEN EXCLUDED.session_start < s.session_start THEN EXCLUDED.utm_medium ELSE s.utm_medium END,
        utm_campaign = CASE WHEN EXCLUDED.session_start < s.session_start THEN EXCLUDED.utm_campaign ELSE s.utm_campaign END,
        utm_content = CASE WHEN EXCLUDED.session_start < s.session_start THEN EXCLUDED.utm_content ELSE s.utm_content END,
        utm_term = CASE WHEN EXCLUDED.session_start < s.session_start THEN EXCLUDED.utm_term ELSE s.utm_term END,
        referrer_type = CASE WHEN EXCLUDED.session_start < s.session_start THEN EXCLUDED.referrer_type ELSE s.referrer_type END,
        referrer_platform = CASE WHEN EXCLUDED.session_start < s.session_start THEN EXCLUDED.referrer_platform ELSE s.referrer_platform END,
        original_referrer = CASE WHEN EXCLUDED.session_start < s.session_start THEN EXCLUDED.original_referrer ELSE s.original_referrer END,
        user_agent = CASE WHEN EXCLUDED.session_start < s.session_start THEN EXCLUDED.user_agent ELSE s.user_agent END,
        browser_language = CASE WHEN EXCLUDED.session_start < s.session_start THEN EXCLUDED.browser_language ELSE s.browser_language END,
        timezone = CASE WHEN EXCLUDED.session_start < s.session_start THEN EXCLUDED.timezone ELSE s.timezone END,
        screen_width = CASE WHEN EXCLUDED.session_start < s.session_start THEN EXCLUDED.screen_width ELSE s.screen_width END,
        screen_height = CASE WHEN EXCLUDED.session_start < s.session_start THEN EXCLUDED.screen_height ELSE s.screen_height END,
        viewport_width = CASE WHEN EXCLUDED.session_start < s.session_start THEN EXCLUDED.viewport_width ELSE s.viewport_width END,
        viewport_height = CASE WHEN EXCLUDED.session_start < s.session_start THEN EXCLUDED.viewport_height ELSE s.viewport_height END,
        device_pixel_ratio = CASE WHEN EXCLUDED.session_start < s.session_start THEN EXCLUDED.device_pixel_ratio ELSE s.device_pixel_ratio END,
        updated_at = NOW();

    INSERT INTO pageviews (
        event_id, session_id, visitor_id, site_id, url, path, title, query_params, hash_fragment,
        view_timestamp, referrer, internal_referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term
    )
    SELECT e.event_id, e.session_id, e.visitor_id, e.site_id, COALESCE(e.url, ''), COALESCE(e.path, ''),
           r ->> 'title',
           NULLIF(substring(e.url FROM '\?([^#]*)'), ''),
           NULLIF(substring(e.url FROM '#(.*)$'), ''),
           e."timestamp", r ->> 'referrer',
           COALESCE(url_host(r ->> 'referrer') = url_host(e.url), FALSE),
           r ->> 'utm_source', r ->> 'utm_medium', r ->> 'utm_campaign', r ->> 'utm_content', r ->> 'utm_term'
    FROM events_log e, LATERAL (SELECT e.raw_event_data AS r) x
    WHERE e.id = ANY (ids) AND e.event_type = 'pageview'
    ORDER BY e.id
    ON CONFLICT (event_id) DO NOTHING;

    INSERT INTO user_events (
        event_id, session_id, visitor_id, site_id, event_type, event_timestamp, page_url, page_path, event_data,
        element_tag, element_classes, element_id, scroll_percentage, form_id
    )
    SELECT e.event_id, e.session_id, e.visitor_id, e.site_id, e.event_type, e."timestamp", e.url, e.path, p,
           CASE WHEN e.event_type = 'click' THEN left(COALESCE(p ->> 'tag', p ->> 'element_tag'), 64) END,
           CASE WHEN e.event_type = 'click' THEN COALESCE(p ->> 'classes', p ->> 'class', p ->> 'element_classes') END,
           CASE WHEN e.event_type = 'click' THEN COALESCE(p ->> 'id', p ->> 'element_id') END,
           CASE WHEN e.event_type IN ('scroll', 'scroll_depth')
                THEN jsonb_small_int(COALESCE(p -> 'milestone', p -> 'max_depth', p -> 'depth', p -> 'percent',
                                                 p -> 'percentage', p -> 'scroll_percentage')) END,
           CASE WHEN e.event_type = 'form_submit' THEN COALESCE(p ->> 'form_id', p ->> 'id', p ->> 'name') END
    FROM events_log e, LATERAL (SELECT CASE WHEN jsonb_typeof(e.raw_event_data -> 'props') = 'object'
                                            THEN e.raw_event_data -> 'props' END AS p) x
    WHERE e.id = ANY (ids) AND e.event_type NOT IN ('pageview', 'page_leave', 'heartbeat', 'sdk_dropped')
    ORDER BY e.id
    ON CONFLICT (event_id) DO NOTHING;

    INSERT INTO form_submissions (
        event_id, session_id, visitor_id, site_id, form_id, form_action, form_method, page_url, page_path,
        submit_timestamp, field_count, form_data
    )
    SELECT e.event_id, e.session_id, e.visitor_id, e.site_id,
           COALESCE(p ->> 'form_id', p ->> 'id', p ->> 'name'), p ->> 'action', upper(left(p ->> 'method', 10)),
           e.url, e.path, e."timestamp",
           -- The SDK sends `fields` as the number of fields and the captured values as `values`; a plain
           -- script may send the fields themselves as an object or a list.
           COALESCE(jsonb_small_int(p -> 'field_count'), jsonb_small_int(p -> 'fields'),
                    CASE jsonb_typeof(f) WHEN 'object' THEN (SELECT count(*)::INTEGER FROM jsonb_object_keys(f))
                                         WHEN 'array' THEN jsonb_array_length(f) END),
           f
    FROM events_log e,
         LATERAL (SELECT CASE WHEN jsonb_typeof(e.raw_event_data -> 'props') = 'object'
                              THEN e.raw_event_data -> 'props' ELSE '{}'::JSONB END AS p) x,
         LATERAL (SELECT (SELECT x.p -> k FROM unnest(ARRAY['values', 'fields', 'data']) WITH ORDINALITY AS keys(k, n)
                          WHERE jsonb_typeof(x.p -> k) IN ('object', 'array') ORDER BY n LIMIT 1) AS f) y
    WHERE e.id = ANY (ids) AND e.event_type = 'form_submit'
    ORDER BY e.id
    ON CONFLICT (event_id) DO NOTHING;

    -- Time on page: to the next pageview of the session, the last one to the session's latest event
    -- (a heartbeat or page_leave), unknown when nothing followed it. Recomputed for every session this
    -- batch touched, since a later batch can bring the pageview that ends an earlier one.
    UPDATE pageviews p SET time_on_page_seconds = t.seconds
    FROM (
        SELECT pv.id,
               EXTRACT(EPOCH FROM COALESCE(
                   lead(pv.view_timestamp) OVER w,
                   CASE WHEN s.last_event_at > pv.view_timestamp THEN s.last_event_at END
               ) - pv.view_timestamp)::INTEGER AS seconds
        FROM pageviews pv
        JOIN user_sessions s ON s.site_id = pv.site_id AND s.session_id = pv.session_id
        WHERE (pv.site_id, pv.session_id) IN (SELECT DISTINCT site_id, session_id FROM events_log WHERE id = ANY (ids))
        WINDOW w AS (PARTITION BY pv.site_id, pv.session_id ORDER BY pv.view_timestamp, pv.id)
    ) t
    WHERE p.id = t.id AND p.time_on_page_seconds IS DISTINCT FROM t.seconds;
END
$$;

-- Closes sessions idle for 30 minutes (session_end = their last event) and returns how many it closed.
CREATE OR REPLACE PROCEDURE update_active_sessions(INOUT closed INTEGER DEFAULT NULL)
LANGUAGE plpgsql AS $$
BEGIN
    WITH idle AS (
        SELECT site_id, session_id FROM user_sessions
        WHERE session_end IS NULL AND last_event_at <= NOW() - INTERVAL '30 minutes'
        ORDER BY site_id, session_id
        FOR UPDATE SKIP LOCKED
    )
    UPDATE user_sessions s
    SET session_end = s.last_event_at,
        duration_seconds = EXTRACT(EPOCH FROM s.last_event_at - s.session_start)::INTEGER,
        updated_at = NOW()
    FROM idle
    WHERE s.site_id = idle.site_id AND s.session_id = idle.session_id;
    GET DIAGNOSTICS closed = ROW_COUNT;
END
$$;

-- Recomputes daily_site_metrics for every site with data on each UTC day from start_date to end_date, and
-- removes rows of days in the range that no longer have any. Returns the number of rows written.
CREATE OR REPLACE PROCEDURE calculate_daily_metrics(start_date DATE, end_date DATE, INOUT written INTEGER DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
    from_ts TIMESTAMPTZ;
    to_ts TIMESTAMPTZ;
BEGIN
    IF start_date IS NULL OR end_date IS NULL OR end_date < start_date THEN
        RAISE EXCEPTION 'calculate_daily_metrics needs start_date <= end_date, got % and %', start_date, end_date;
    END IF;
    IF end_date - start_date > 3660 THEN
        RAISE EXCEPTION 'calculate_daily_metrics covers at most 3661 days at once';
    END IF;
    from_ts := start_date::TIMESTAMP AT TIME ZONE 'UTC';
    to_ts := (end_date + 1)::TIMESTAMP AT TIME ZONE 'UTC';

    WITH sess AS (
        SELECT site_id, (session_start AT TIME ZONE 'UTC')::DATE AS day,
               count(*) AS sessions,
               count(*) FILTER (WHERE bounce) AS bounces,
               avg(duration_seconds) AS avg_duration,
               avg(pageview_count) AS avg_pages,
               count(*) FILTER (WHERE referrer_type = 'direct') AS direct,
               count(*) FILTER (WHERE referrer_type = 'search') AS search,
               count(*) FILTER (WHERE referrer_type = 'social') AS social,
               count(*) FILTER (WHERE referrer_type = 'referral') AS referral
        FROM user_sessions
        WHERE session_start >= from_ts AND session_start < to_ts
        GROUP BY 1, 2
    ), pv AS (
        SELECT site_id, (view_timestamp AT TIME ZONE 'UTC')::DATE AS day, count(*) AS pageviews
        FROM pageviews WHERE view_timestamp >= from_ts AND view_timestamp < to_ts
        GROUP BY 1, 2
    ), ev AS (
        SELECT site_id, (event_timestamp AT TIME ZONE 'UTC')::DATE AS day, count(*) AS events
        FROM user_events WHERE event_timestamp >= from_ts AND event_timestamp < to_ts
        GROUP BY 1, 2
    ), vis AS (
        -- A visitor counts on every day they started a session or viewed a page.
        SELECT site_id, day, count(DISTINCT visitor_id) AS visitors
        FROM (
            SELECT site_id, (session_start AT TIME ZONE 'UTC')::DATE AS day, visitor_id
            FROM user_sessions WHERE session_start >= from_ts AND session_start < to_ts
            UNION ALL
            SELECT site_id, (view_timestamp AT TIME ZONE 'UTC')::DATE, visitor_id
            FROM pageviews WHERE view_timestamp >= from_ts AND view_timestamp < to_ts
        ) seen
        GROUP BY 1, 2
    ), keys AS (
        SELECT site_id, day FROM sess UNION SELECT site_id, day FROM pv UNION SELECT site_id, day FROM ev
    ), upserted AS (
        INSERT INTO daily_site_metrics AS m (
            site_id, metric_date, unique_visitors, total_sessions, total_pageviews, bounce_rate,
            avg_session_duration_seconds, avg_pages_per_session, total_events,
            direct_sessions, search_sessions, social_sessions, referral_sessions, computed_at
        )
        SELECT k.site_id, k.day, COALESCE(vis.visitors, 0), COALESCE(sess.sessions, 0), COALESCE(pv.pageviews, 0),
               CASE WHEN sess.sessions > 0 THEN round(sess.bounces::NUMERIC / sess.sessions, 4) END,
               round(sess.avg_duration)::INTEGER, round(sess.avg_pages, 2), COALESCE(ev.events, 0),
               COALESCE(sess.direct, 0), COALESCE(sess.search, 0), COALESCE(sess.social, 0), COALESCE(sess.referral, 0),
               NOW()
        FROM keys k
        LEFT JOIN sess ON sess.site_id = k.site_id AND sess.day = k.day
        LEFT JOIN pv ON pv.site_id = k.site_id AND pv.day = k.day
        LEFT JOIN ev ON ev.site_id = k.site_id AND ev.day = k.day
        LEFT JOIN vis ON vis.site_id = k.site_id AND vis.day = k.day
        ORDER BY k.site_id, k.day
        ON CONFLICT (site_id, metric_date) DO UPDATE SET
            unique_visitors = EXCLUDED.unique_visitors,
            total_sessions = EXCLUDED.total_sessions,
            total_pageviews = EXCLUDED.total_pageviews,
            bounce_rate = EXCLUDED.bounce_rate,
            avg_session_duration_seconds = EXCLUDED.avg_session_duration_seconds,
            avg_pages_per_session = EXCLUDED.avg_pages_per_session,
            total_events = EXCLUDED.total_events,
            direct_sessions = EXCLUDED.direct_sessions,
            search_sessions = EXCLUDED.search_sessions,
            social_sessions = EXCLUDED.social_sessions,
            referral_sessions = EXCLUDED.referral_sessions,
            computed_at = EXCLUDED.computed_at
        RETURNING m.site_id, m.metric_date
    ), stale AS (
        DELETE FROM daily_site_metrics d
        WHERE d.metric_date BETWEEN start_date AND end_date
          AND NOT EXISTS (SELECT 1 FROM keys k WHERE k.site_id = d.site_id AND k.day = d.metric_date)
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM upserted) + 0 * (SELECT count(*) FROM stale) INTO written;
END
$$;

-- Deletes processed raw events received more than retention_days ago, in chunks, and returns how many.
-- Unprocessed events are never deleted. The floor of 8 days keeps every event id the server still accepts
-- (the protocol refuses events older than 7 days), so a late retry is still recognised as a duplicate.
CREATE OR REPLACE PROCEDURE cleanup_processed_events(retention_days INTEGER DEFAULT 90, INOUT deleted BIGINT DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
    chunk INTEGER;
BEGIN
    IF retention_days IS NULL OR retention_days < 8 THEN
        RAISE EXCEPTION 'retention_days must be at least 8 (events up to 7 days old are still accepted), got %', retention_days;
    END IF;
    deleted := 0;
    LOOP
        WITH doomed AS (
            SELECT id FROM events_log
            WHERE processed_at IS NOT NULL AND created_at < NOW() - make_interval(days => retention_days)
            LIMIT 10000
            FOR UPDATE SKIP LOCKED
        )
        DELETE FROM events_log e USING doomed WHERE e.id = doomed.id;
        GET DIAGNOSTICS chunk = ROW_COUNT;
        deleted := deleted + chunk;
        EXIT WHEN chunk < 10000;
    END LOOP;
END
$$;
