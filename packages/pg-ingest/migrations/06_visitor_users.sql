-- 06_visitor_users: identity stitching (issue 24), and the new built-in event types that are no engagement.
-- Rollback:
--   DROP TRIGGER IF EXISTS visitor_users_added ON events_log; DROP FUNCTION IF EXISTS visitor_users_add();
--   DROP TABLE IF EXISTS visitor_users;
--   (the ETL's interaction list: run the DO block below with the two lists swapped)
--
-- Why: the visitor figures count people. A person is the user a visitor (a browser's visitor_id) was identified as
-- by an event carrying `user_id` (after `identify()`), else the visitor: a visitor who logs in midway, its earlier
-- anonymous visits included, and the same user's other devices are one person. The stats resolve a visit's
-- visitor here by primary key (personSql() in @trailmark/protocol, `persons.ts`, the same on every backend).
-- * visitor_users: one row per identified visitor with the user of its earliest identification (server time,
--   sequence number, event id): the row is the same whatever the order or number of deliveries. A user id the
--   redaction changed (an e-mail address: `[redacted:email]`) identifies no one.
-- * Kept by a statement-level trigger on events_log: the batch insert's new rows (never a duplicate, which
--   ON CONFLICT DO NOTHING leaves out of the transition table) in the insert's own transaction.

CREATE TABLE IF NOT EXISTS visitor_users (
    site_id TEXT NOT NULL,
    visitor_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    ts BIGINT NOT NULL,                      -- the identifying event's server time, ms since the epoch
    seq BIGINT NOT NULL,
    event_id TEXT COLLATE "C" NOT NULL,      -- ordered by code point, as the reference compares ids
    PRIMARY KEY (site_id, visitor_id)
);

-- The statement that adds the identifications among `source` (a relation with events_log's columns).
CREATE OR REPLACE FUNCTION visitor_users_upsert(source TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE AS $$
    SELECT format('INSERT INTO visitor_users AS u (site_id, visitor_id, user_id, ts, seq, event_id)
        SELECT DISTINCT ON (site_id, visitor_id) site_id, visitor_id, raw_event_data ->> ''user_id'',
               round(extract(epoch FROM "timestamp") * 1000)::bigint, COALESCE((raw_event_data ->> ''seq'')::bigint, 0),
               raw_event_data ->> ''event_id''
        FROM %s
        WHERE jsonb_typeof(raw_event_data -> ''user_id'') = ''string'' AND raw_event_data ->> ''user_id'' <> ''''
          AND strpos(raw_event_data ->> ''user_id'', ''[redacted'') = 0
        ORDER BY site_id, visitor_id, "timestamp", COALESCE((raw_event_data ->> ''seq'')::bigint, 0),
                 raw_event_data ->> ''event_id'' COLLATE "C"
        ON CONFLICT (site_id, visitor_id) DO UPDATE SET user_id = EXCLUDED.user_id, ts = EXCLUDED.ts,
            seq = EXCLUDED.seq, event_id = EXCLUDED.event_id
        WHERE (EXCLUDED.ts, EXCLUDED.seq, EXCLUDED.event_id) < (u.ts, u.seq, u.event_id)', source)
$$;

CREATE OR REPLACE FUNCTION visitor_users_add() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE visitor_users_upsert('added');
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER visitor_users_added AFTER INSERT ON events_log
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION visitor_users_add();

-- The events stored before this migration.
DO $$ BEGIN EXECUTE visitor_users_upsert('events_log'); END $$;

-- The ETL's interaction list follows NON_ENGAGEMENT_TYPES of @trailmark/protocol: a `js_error` (the page's doing,
-- mostly while it loads) and an `identify` (the site's code, on every page of a logged-in user) un-bounce no visit.
-- The one list in process_events_batch() is rewritten in place, so this migration changes nothing else of it.
DO $$
DECLARE
    def TEXT := pg_get_functiondef('process_events_batch(integer, integer)'::regprocedure);
    old TEXT := '''scroll_depth'', ''page_visibility'', ''web_vital'')';
BEGIN
    IF strpos(def, old) = 0 THEN
        RAISE EXCEPTION 'process_events_batch() has no interaction list to extend';
    END IF;
    EXECUTE replace(def, old, '''scroll_depth'', ''page_visibility'', ''web_vital'', ''js_error'', ''identify'')');
END
$$;
