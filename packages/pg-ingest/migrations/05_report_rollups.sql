-- 05_report_rollups: bots judged per visit, and per-visit rollups for the reports beside the traffic figures.
-- Rollback:
--   DROP TRIGGER IF EXISTS visit_reports_claimed ON events_log;
--   DROP TRIGGER IF EXISTS user_sessions_judged ON user_sessions;
--   DROP TRIGGER IF EXISTS visit_reports_session_emptied ON user_sessions;
--   DROP TRIGGER IF EXISTS visit_pages_take_bot ON visit_pages;
--   DROP TRIGGER IF EXISTS visit_vitals_take_bot ON visit_vitals;
--   DROP TABLE IF EXISTS visit_signals, visit_goal_props, visit_links, visit_revenue, visit_seq, drop_reports;
--   ALTER TABLE user_sessions DROP COLUMN bot;  ALTER TABLE visit_vitals DROP COLUMN bot;
--   ALTER TABLE visit_pages DROP COLUMN bot, DROP COLUMN scroll, DROP COLUMN engaged_ms;
--   DELETE FROM visit_pages WHERE views = 0;  (then 04's CHECK (views > 0) and its functions and triggers again)
--   DROP FUNCTION IF EXISTS visit_reports_statements(TEXT), visit_reports_claimed(), user_sessions_judge(),
--     visit_rollup_take_bot(), visit_bot(TEXT, BOOLEAN, INTEGER, TIMESTAMPTZ, TIMESTAMPTZ, INTEGER, BOOLEAN),
--     bot_user_agent(TEXT), is_goal(TEXT), prop_text(JSONB), js_number_text(DOUBLE PRECISION), js_round(DOUBLE PRECISION),
--     revenue_micros(JSONB), scroll_depth_of(JSONB), engaged_ms_of(JSONB), engagement_signal(TEXT, JSONB);
--
-- Why: the dashboard leaves bot visits out by default, and its reports (a goal's events by property, outbound links
-- and downloads, scroll depth and engaged time per page, revenue, events lost in transit and the SDK's drop reports)
-- would otherwise read raw JSON events at request time, a cost growing with every event stored. Each report reads one
-- row per visit (and key) instead, as visit_pages and visit_vitals (04) do; the figures are those statsPanel() of
-- @trailmark/protocol computes from the events (the contract suite holds them equal).
-- * user_sessions.bot: why the visit is a bot's (botReason(): 'user_agent', 'automation', 'behaviour'), NULL for a
--   person's; judged by a row trigger whenever the session is written, from the session's columns and its
--   visit_signals row.
-- * visit_signals: what the bot rules read that the session row does not hold (page_leave reports, the SDK's
--   automation flag, any sign of a person).
-- * visit_pages gains the deepest scroll (`scroll`, %) and the engaged time (`engaged_ms`) of the visit on the page;
--   a row may now hold them before (or without) a view: views may be 0, and the panels count rows with views > 0.
-- * visit_goal_props (a goal's property values), visit_links (clicked outbound links and downloads), visit_revenue
--   (per goal and currency, in integer millionths), each with the session's visitor, start and verdict copied in.
-- * visit_seq: per session and tab block of 1000 sequence numbers, the highest received and how many (gaps are
--   events lost in transit); drop_reports: the SDK's drop reports, per time and reason.
--
-- Kept exactly once by the ETL's claim: a statement trigger on events_log sees the rows process_events_batch stamps
-- processed (processed_at from NULL; each raw row is claimed once, in the transaction that moves it)
-- and adds them, before the batch's sessions are written. The session's visitor, start and verdict follow it into
-- every rollup (visit_rollup_follow_session, now with the verdict); rows inserted after the session take its verdict.
-- An operator's erasure (deleting sessions) takes their rows; TRUNCATE of user_sessions empties these rollups.
-- Migrating an existing database fills them from the processed raw events still kept (cleanup_processed_events may
-- have removed older ones: those visits keep their sessions' figures and user-agent verdict, without these reports).

ALTER TABLE user_sessions ADD COLUMN IF NOT EXISTS bot TEXT CHECK (bot IN ('user_agent', 'automation', 'behaviour'));

CREATE TABLE IF NOT EXISTS visit_signals (
    site_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    leaves INTEGER NOT NULL DEFAULT 0,           -- page_leave reports
    automation BOOLEAN NOT NULL DEFAULT FALSE,   -- an event carried the SDK's `bot` flag
    engaged BOOLEAN NOT NULL DEFAULT FALSE,      -- an interaction, heartbeat, scroll milestone or engaged millisecond
    PRIMARY KEY (site_id, session_id)
);

ALTER TABLE visit_pages DROP CONSTRAINT IF EXISTS visit_pages_views_check;
ALTER TABLE visit_pages ADD CONSTRAINT visit_pages_views_check CHECK (views >= 0),
    ADD COLUMN IF NOT EXISTS scroll DOUBLE PRECISION NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS engaged_ms BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS bot TEXT;
ALTER TABLE visit_vitals ADD COLUMN IF NOT EXISTS bot TEXT;

CREATE TABLE IF NOT EXISTS visit_goal_props (
    site_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    name TEXT NOT NULL,                      -- the goal (a custom event type)
    prop TEXT NOT NULL,
    value TEXT NOT NULL,                     -- propText(): a string as it is, a number or boolean as JavaScript writes it
    events INTEGER NOT NULL,
    visitor_id TEXT NOT NULL,
    session_start TIMESTAMPTZ NOT NULL,
    bot TEXT,
    PRIMARY KEY (site_id, session_id, name, prop, value)
);
CREATE INDEX IF NOT EXISTS idx_visit_goal_props_start ON visit_goal_props (site_id, name, prop, session_start);

CREATE TABLE IF NOT EXISTS visit_links (
    site_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('outbound', 'download')),
    url TEXT NOT NULL,
    events INTEGER NOT NULL,
    visitor_id TEXT NOT NULL,
    session_start TIMESTAMPTZ NOT NULL,
    bot TEXT,
    PRIMARY KEY (site_id, session_id, kind, url)
);
CREATE INDEX IF NOT EXISTS idx_visit_links_start ON visit_links (site_id, kind, session_start);

CREATE TABLE IF NOT EXISTS visit_revenue (
    site_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    name TEXT NOT NULL,
    currency TEXT NOT NULL,
    events INTEGER NOT NULL,
    micros BIGINT NOT NULL,                  -- revenueMicros(): summed as integers, so the order of adding cannot matter
    visitor_id TEXT NOT NULL,
    session_start TIMESTAMPTZ NOT NULL,
    bot TEXT,
    PRIMARY KEY (site_id, session_id, name, currency)
);
CREATE INDEX IF NOT EXISTS idx_visit_revenue_start ON visit_revenue (site_id, session_start);

-- Read joined to the visits (a session with drop reports only is no visit): no copied columns.
CREATE TABLE IF NOT EXISTS visit_seq (
    site_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    block BIGINT NOT NULL,                   -- floor((seq - 1) / 1000): each tab numbers a block of its own
    max_seq BIGINT NOT NULL,
    events INTEGER NOT NULL,
    PRIMARY KEY (site_id, session_id, block)
);

CREATE TABLE IF NOT EXISTS drop_reports (
    site_id TEXT NOT NULL,
    reported_at TIMESTAMPTZ NOT NULL,        -- the report's server time
    reason TEXT NOT NULL,
    dropped NUMERIC NOT NULL,
    PRIMARY KEY (site_id, reported_at, reason)
);

-- botAgent(): a stored class (`Chrome; Windows; desktop`) says `bot` as its device; an older raw user agent matches
-- BOT_USER_AGENT (its `\b` written `\y`; a test holds the two verdicts equal).
CREATE OR REPLACE FUNCTION bot_user_agent(user_agent TEXT) RETURNS BOOLEAN
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN user_agent IS NULL OR user_agent = '' THEN FALSE
        WHEN user_agent ~ '^[^;()/]*; [^;()/]*; (desktop|mobile|tablet|bot)$' THEN user_agent ~ '; bot$'
        ELSE user_agent ~* 'bot\y|bot/|crawl|spider|slurp|headless|lighthouse|pagespeed|pingdom|uptime|phantomjs|curl/|wget/|python|java/|go-http|node-fetch|axios|okhttp|httpclient|scrapy|preview|monitor|playwright|puppeteer|selenium'
    END
$$;

-- botReason(): the user agent, then the SDK's automation flag, then behaviour (five pageviews with page-leave reports
-- and no sign of a person, or ten pageviews at under a second each on average).
CREATE OR REPLACE FUNCTION visit_bot(user_agent TEXT, automation BOOLEAN, pageviews INTEGER, first_view TIMESTAMPTZ,
                                     last_view TIMESTAMPTZ, leaves INTEGER, engaged BOOLEAN) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN bot_user_agent(user_agent) THEN 'user_agent'
        WHEN automation THEN 'automation'
        WHEN pageviews >= 5 AND leaves > 0 AND NOT engaged THEN 'behaviour'
        WHEN pageviews >= 10 AND last_view - first_view < make_interval(secs => pageviews - 1) THEN 'behaviour'
    END
$$;

CREATE OR REPLACE FUNCTION user_sessions_judge() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
DECLARE
    sig visit_signals%ROWTYPE;
BEGIN
    SELECT * INTO sig FROM visit_signals WHERE site_id = NEW.site_id AND session_id = NEW.session_id;
    NEW.bot := visit_bot(NEW.user_agent, COALESCE(sig.automation, FALSE), NEW.pageview_count, NEW.entry_at, NEW.exit_at,
                         COALESCE(sig.leaves, 0), COALESCE(sig.engaged, FALSE));
    RETURN NEW;
END
$$;

-- Math.round() of JavaScript (halves up), for the integers the reference rounds.
CREATE OR REPLACE FUNCTION js_round(x DOUBLE PRECISION) RETURNS BIGINT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (floor(x) + CASE WHEN x - floor(x) >= 0.5 THEN 1 ELSE 0 END)::BIGINT
$$;

-- String(x) of JavaScript for a double: PostgreSQL's shortest exact digits (extra_float_digits 1), laid out as
-- Number.prototype.toString() does (plain from 1e-7 up to below 1e21, exponent form outside).
CREATE OR REPLACE FUNCTION js_number_text(x DOUBLE PRECISION) RETURNS TEXT
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET extra_float_digits = 1 AS $$
DECLARE
    t TEXT := abs(x)::TEXT;
    digits TEXT;
    point INTEGER;                           -- the decimal point's place after the first digit of `digits`
    k INTEGER;
BEGIN
    IF x = 0 THEN RETURN '0'; END IF;
    IF position('e' IN t) > 0 THEN
        digits := replace(split_part(t, 'e', 1), '.', '');
        point := split_part(t, 'e', 2)::INTEGER + 1;
    ELSE
        point := length(split_part(t, '.', 1));
        digits := replace(t, '.', '');
        IF split_part(t, '.', 1) = '0' THEN  -- 0.000123: the zeros after the point move it left
            digits := ltrim(split_part(t, '.', 2), '0');
            point := -(length(split_part(t, '.', 2)) - length(digits));
        END IF;
    END IF;
    digits := rtrim(digits, '0');
    k := length(digits);
    RETURN CASE WHEN x < 0 THEN '-' ELSE '' END || CASE
        WHEN k <= point AND point <= 21 THEN digits || repeat('0', point - k)
        WHEN 0 < point AND point <= 21 THEN left(digits, point) || '.' || substr(digits, point + 1)
        WHEN -6 < point AND point <= 0 THEN '0.' || repeat('0', -point) || digits
        ELSE left(digits, 1) || CASE WHEN k > 1 THEN '.' || substr(digits, 2) ELSE '' END
             || 'e' || CASE WHEN point - 1 >= 0 THEN '+' ELSE '-' END || abs(point - 1)::TEXT
    END;
END
$$;

-- propText(): a string as it is, a number or boolean as JavaScript writes it, anything else none.
CREATE OR REPLACE FUNCTION prop_text(value JSONB) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE jsonb_typeof(value)
        WHEN 'string' THEN value #>> '{}'
        WHEN 'boolean' THEN value #>> '{}'
        WHEN 'number' THEN js_number_text((value #>> '{}')::DOUBLE PRECISION)
    END
$$;

-- isGoal(): every type but the built-in ones (BUILTIN_EVENT_TYPES; a test holds the lists equal).
CREATE OR REPLACE FUNCTION is_goal(event_type TEXT) RETURNS BOOLEAN
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT event_type <> ALL (ARRAY['pageview', 'page_leave', 'click', 'scroll_depth', 'form_submit', 'page_visibility',
                                    'heartbeat', 'text_copy', 'web_vital', 'sdk_dropped', 'js_error', 'form_start',
                                    'form_abandon', 'identify'])
$$;

-- revenueMicros() of a valid `props.revenue` ({ amount, currency } only, a finite amount below 10^12 in size, an ISO
-- 4217 code), else NULL (revenueOf()).
CREATE OR REPLACE FUNCTION revenue_micros(props JSONB) RETURNS BIGINT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- Nested CASEs: each test runs only once the one before it holds (a cast of a string, or the keys of an
    -- array, would fail and stop the ETL).
    SELECT CASE WHEN jsonb_typeof(r) = 'object' AND jsonb_typeof(r -> 'amount') = 'number' AND jsonb_typeof(r -> 'currency') = 'string'
        THEN CASE WHEN abs((r ->> 'amount')::NUMERIC) < 1e12 AND (r ->> 'currency') ~ '^[A-Z]{3}$'
                       AND NOT EXISTS (SELECT 1 FROM jsonb_object_keys(r) k WHERE k NOT IN ('amount', 'currency'))
                  THEN js_round((r ->> 'amount')::DOUBLE PRECISION * 1000000) END END
    FROM (SELECT props -> 'revenue' AS r) x
$$;

-- scrollDepthOf() of a scroll_depth event's props: its milestone, else its max depth, when a number.
CREATE OR REPLACE FUNCTION scroll_depth_of(props JSONB) RETURNS DOUBLE PRECISION
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(d) = 'number' THEN (d #>> '{}')::DOUBLE PRECISION END
    FROM (SELECT CASE WHEN jsonb_typeof(props -> 'milestone') <> 'null' THEN props -> 'milestone' ELSE props -> 'max_depth' END AS d) x
$$;

-- engagedMsOf() of a page_leave event's props: whole milliseconds, when a number not below zero.
CREATE OR REPLACE FUNCTION engaged_ms_of(props JSONB) RETURNS BIGINT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(props -> 'engaged_ms') = 'number'
                THEN CASE WHEN (props ->> 'engaged_ms')::NUMERIC >= 0 THEN js_round((props ->> 'engaged_ms')::DOUBLE PRECISION) END END
$$;

-- engagementSignal(): an interaction (not a page mechanic or measurement: NON_ENGAGEMENT_TYPES), a heartbeat, a
-- scroll milestone, or a page_leave / page_visibility report with engaged milliseconds.
CREATE OR REPLACE FUNCTION engagement_signal(event_type TEXT, props JSONB) RETURNS BOOLEAN
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN event_type NOT IN ('pageview', 'page_leave', 'scroll', 'page_visibility', 'web_vital', 'js_error', 'identify') THEN TRUE
        WHEN event_type IN ('page_leave', 'page_visibility') AND jsonb_typeof(props -> 'engaged_ms') = 'number'
            THEN (props ->> 'engaged_ms')::NUMERIC > 0
        ELSE FALSE END
$$;

-- The statements adding the raw events of `source` (a relation with events_log's columns) to the rollups. A
-- visit's rows take its session's visitor, start and verdict when the session exists, else the events' own until
-- the session's write copies them in.
CREATE OR REPLACE FUNCTION visit_reports_statements(source TEXT) RETURNS SETOF TEXT
LANGUAGE sql IMMUTABLE AS $$
    SELECT format(statement, source) FROM unnest(ARRAY[
        $q$INSERT INTO visit_signals AS g (site_id, session_id, leaves, automation, engaged)
           SELECT n.site_id, n.session_id, count(*) FILTER (WHERE n.event_type = 'page_leave'), bool_or(n.raw_event_data ? 'bot'),
                  bool_or(engagement_signal(n.event_type, n.raw_event_data -> 'props'))
           FROM %s n WHERE n.event_type <> 'sdk_dropped'
           GROUP BY n.site_id, n.session_id ORDER BY n.site_id, n.session_id
           ON CONFLICT (site_id, session_id) DO UPDATE SET leaves = g.leaves + EXCLUDED.leaves,
               automation = g.automation OR EXCLUDED.automation, engaged = g.engaged OR EXCLUDED.engaged$q$,
        $q$INSERT INTO visit_pages AS vp (site_id, session_id, path, visitor_id, session_start, views, scroll, engaged_ms, bot)
           SELECT n.site_id, n.session_id, n.path, COALESCE(min(s.visitor_id), min(n.visitor_id)),
                  COALESCE(min(s.session_start), min(n."timestamp")), 0,
                  GREATEST(0, COALESCE(max(scroll_depth_of(n.raw_event_data -> 'props')) FILTER (WHERE n.event_type = 'scroll_depth'), 0)),
                  COALESCE(sum(engaged_ms_of(n.raw_event_data -> 'props')) FILTER (WHERE n.event_type = 'page_leave'), 0), min(s.bot)
           FROM %s n LEFT JOIN user_sessions s ON s.site_id = n.site_id AND s.session_id = n.session_id
           WHERE n.path IS NOT NULL
             AND ((n.event_type = 'scroll_depth' AND scroll_depth_of(n.raw_event_data -> 'props') IS NOT NULL)
               OR (n.event_type = 'page_leave' AND engaged_ms_of(n.raw_event_data -> 'props') IS NOT NULL))
           GROUP BY n.site_id, n.session_id, n.path ORDER BY n.site_id, n.session_id, n.path
           ON CONFLICT (site_id, session_id, path) DO UPDATE SET scroll = GREATEST(vp.scroll, EXCLUDED.scroll),
               engaged_ms = vp.engaged_ms + EXCLUDED.engaged_ms$q$,
        $q$INSERT INTO visit_goal_props AS gp (site_id, session_id, name, prop, value, events, visitor_id, session_start, bot)
           SELECT n.site_id, n.session_id, n.event_type, p.key, prop_text(p.value), count(*),
                  COALESCE(min(s.visitor_id), min(n.visitor_id)), COALESCE(min(s.session_start), min(n."timestamp")), min(s.bot)
           FROM %s n
           CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(n.raw_event_data -> 'props') = 'object' THEN n.raw_event_data -> 'props' END) p
           LEFT JOIN user_sessions s ON s.site_id = n.site_id AND s.session_id = n.session_id
           WHERE is_goal(n.event_type) AND jsonb_typeof(p.value) IN ('string', 'number', 'boolean')
           GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
           ON CONFLICT (site_id, session_id, name, prop, value) DO UPDATE SET events = gp.events + EXCLUDED.events$q$,
        $q$INSERT INTO visit_links AS vl (site_id, session_id, kind, url, events, visitor_id, session_start, bot)
           SELECT n.site_id, n.session_id, l.kind, n.raw_event_data -> 'props' ->> 'href', count(*),
                  COALESCE(min(s.visitor_id), min(n.visitor_id)), COALESCE(min(s.session_start), min(n."timestamp")), min(s.bot)
           FROM %s n
           CROSS JOIN LATERAL (VALUES ('outbound', n.raw_event_data -> 'props' -> 'outbound'),
                                      ('download', n.raw_event_data -> 'props' -> 'download')) l(kind, flag)
           LEFT JOIN user_sessions s ON s.site_id = n.site_id AND s.session_id = n.session_id
           WHERE n.event_type = 'click' AND jsonb_typeof(n.raw_event_data -> 'props' -> 'href') = 'string' AND l.flag = 'true'::JSONB
           GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
           ON CONFLICT (site_id, session_id, kind, url) DO UPDATE SET events = vl.events + EXCLUDED.events$q$,
        $q$INSERT INTO visit_revenue AS vr (site_id, session_id, name, currency, events, micros, visitor_id, session_start, bot)
           SELECT n.site_id, n.session_id, n.event_type, n.raw_event_data -> 'props' -> 'revenue' ->> 'currency', count(*),
                  sum(revenue_micros(n.raw_event_data -> 'props')),
                  COALESCE(min(s.visitor_id), min(n.visitor_id)), COALESCE(min(s.session_start), min(n."timestamp")), min(s.bot)
           FROM %s n LEFT JOIN user_sessions s ON s.site_id = n.site_id AND s.session_id = n.session_id
           WHERE is_goal(n.event_type) AND revenue_micros(n.raw_event_data -> 'props') IS NOT NULL
           GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
           ON CONFLICT (site_id, session_id, name, currency) DO UPDATE SET events = vr.events + EXCLUDED.events,
               micros = vr.micros + EXCLUDED.micros$q$,
        $q$INSERT INTO visit_seq AS q (site_id, session_id, block, max_seq, events)
           SELECT n.site_id, n.session_id, (x.seq - 1) / 1000, max(x.seq), count(*)
           FROM %s n CROSS JOIN LATERAL (SELECT CASE WHEN jsonb_typeof(n.raw_event_data -> 'seq') = 'number'
                                                          AND (n.raw_event_data ->> 'seq') ~ '^[0-9]{1,16}$'
                                                     THEN (n.raw_event_data ->> 'seq')::BIGINT END AS seq) x
           WHERE x.seq >= 1
           GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
           ON CONFLICT (site_id, session_id, block) DO UPDATE SET max_seq = GREATEST(q.max_seq, EXCLUDED.max_seq),
               events = q.events + EXCLUDED.events$q$,
        $q$INSERT INTO drop_reports AS d (site_id, reported_at, reason, dropped)
           SELECT n.site_id, n."timestamp", p.key, sum(c.dropped)
           FROM %s n
           CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(n.raw_event_data -> 'props') = 'object' THEN n.raw_event_data -> 'props' END) p
           CROSS JOIN LATERAL (SELECT CASE WHEN jsonb_typeof(p.value) = 'number' THEN (p.value #>> '{}')::NUMERIC END AS dropped) c
           WHERE n.event_type = 'sdk_dropped' AND c.dropped > 0 AND c.dropped = trunc(c.dropped)
           GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
           ON CONFLICT (site_id, reported_at, reason) DO UPDATE SET dropped = d.dropped + EXCLUDED.dropped$q$
    ]) AS statement
$$;

-- The ETL's claim: the rows an update stamped processed (a redaction rewriting stored rows is no claim). The claim
-- stamps only unprocessed rows, so its new rows are read as they are; an update over processed and unprocessed rows
-- alike names its once-unprocessed ids (a join of the two transition tables, which have no statistics, was planned
-- as a nested loop: 110 s for 20,000 rows).
CREATE OR REPLACE FUNCTION visit_reports_claimed() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
DECLARE
    statement TEXT;
    source TEXT := '(SELECT * FROM stamped WHERE processed_at IS NOT NULL)';
BEGIN
    IF NOT EXISTS (SELECT 1 FROM unstamped WHERE processed_at IS NULL) THEN
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM unstamped WHERE processed_at IS NOT NULL) THEN
        source := format('(SELECT * FROM stamped WHERE processed_at IS NOT NULL AND id = ANY (%L::BIGINT[]))',
                         ARRAY(SELECT id FROM unstamped WHERE processed_at IS NULL));
    END IF;
    FOR statement IN SELECT visit_reports_statements(source) LOOP
        EXECUTE statement;
    END LOOP;
    RETURN NULL;
END
$$;

-- A rollup row inserted after its session was written takes the session's verdict.
CREATE OR REPLACE FUNCTION visit_rollup_take_bot() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('UPDATE %I r SET bot = s.bot FROM (SELECT DISTINCT site_id, session_id FROM added) a
                    JOIN user_sessions s ON s.site_id = a.site_id AND s.session_id = a.session_id
                    WHERE r.site_id = a.site_id AND r.session_id = a.session_id AND r.bot IS DISTINCT FROM s.bot', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

-- 04's, with the verdict copied too.
CREATE OR REPLACE FUNCTION visit_rollup_follow_session() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
DECLARE
    rollup TEXT;
BEGIN
    FOREACH rollup IN ARRAY TG_ARGV LOOP
        EXECUTE format('UPDATE %I r SET visitor_id = s.visitor_id, session_start = s.session_start, bot = s.bot
                        FROM changed s
                        WHERE r.site_id = s.site_id AND r.session_id = s.session_id
                          AND (r.visitor_id <> s.visitor_id OR r.session_start <> s.session_start OR r.bot IS DISTINCT FROM s.bot)',
                       rollup);
    END LOOP;
    RETURN NULL;
END
$$;

-- 04's, but a page's row keeps its scroll and engaged time when its views go: it goes once it holds nothing.
CREATE OR REPLACE FUNCTION visit_pages_remove() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'UPDATE visit_pages vp SET views = GREATEST(vp.views - gone.n, 0)
        FROM (SELECT site_id, session_id, path, count(*) AS n FROM removed GROUP BY site_id, session_id, path) gone
        WHERE vp.site_id = gone.site_id AND vp.session_id = gone.session_id AND vp.path = gone.path';
    EXECUTE 'DELETE FROM visit_pages vp USING (SELECT DISTINCT site_id, session_id, path FROM removed) gone
        WHERE vp.site_id = gone.site_id AND vp.session_id = gone.session_id AND vp.path = gone.path
          AND vp.views = 0 AND vp.scroll = 0 AND vp.engaged_ms = 0';
    RETURN NULL;
END
$$;

-- What a database migrated from 04 already holds (before the triggers, so nothing is added twice).
DO $$
DECLARE
    statement TEXT;
BEGIN
    FOR statement IN SELECT visit_reports_statements('(SELECT * FROM events_log WHERE processed_at IS NOT NULL)') LOOP
        EXECUTE statement;
    END LOOP;
END
$$;

CREATE OR REPLACE TRIGGER visit_reports_claimed AFTER UPDATE ON events_log
    REFERENCING OLD TABLE AS unstamped NEW TABLE AS stamped FOR EACH STATEMENT EXECUTE FUNCTION visit_reports_claimed();
CREATE OR REPLACE TRIGGER user_sessions_judged BEFORE INSERT OR UPDATE ON user_sessions
    FOR EACH ROW EXECUTE FUNCTION user_sessions_judge();
CREATE OR REPLACE TRIGGER visit_pages_take_bot AFTER INSERT ON visit_pages
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION visit_rollup_take_bot();
CREATE OR REPLACE TRIGGER visit_vitals_take_bot AFTER INSERT ON visit_vitals
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION visit_rollup_take_bot();
CREATE OR REPLACE TRIGGER visit_rollups_session_added AFTER INSERT ON user_sessions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION visit_rollup_follow_session('visit_pages', 'visit_vitals', 'visit_goal_props', 'visit_links', 'visit_revenue');
CREATE OR REPLACE TRIGGER visit_rollups_session_changed AFTER UPDATE ON user_sessions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION visit_rollup_follow_session('visit_pages', 'visit_vitals', 'visit_goal_props', 'visit_links', 'visit_revenue');
CREATE OR REPLACE TRIGGER visit_rollups_session_removed AFTER DELETE ON user_sessions
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT
    EXECUTE FUNCTION visit_rollup_drop_session('visit_pages', 'visit_vitals', 'visit_signals', 'visit_goal_props', 'visit_links',
                                               'visit_revenue', 'visit_seq');
CREATE OR REPLACE TRIGGER visit_reports_session_emptied AFTER TRUNCATE ON user_sessions
    FOR EACH STATEMENT EXECUTE FUNCTION visit_rollup_empty('visit_signals', 'visit_goal_props', 'visit_links', 'visit_revenue',
                                                           'visit_seq', 'drop_reports');

-- Every session judged (the row trigger), its verdict copied into its rollups (the statement trigger).
UPDATE user_sessions SET bot = bot;
