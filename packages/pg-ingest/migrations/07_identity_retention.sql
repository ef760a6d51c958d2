-- 07_identity_retention: an identity (visitor_users, migration 06) is kept no longer than the events it came from.
-- Rollback:
--   cleanup_processed_events(): run its definition in 03_procedures.sql again;
--   DROP FUNCTION IF EXISTS visitor_users_rebuild(TEXT[], TEXT[]);
--
-- Why: retention (`trailmark-pg cleanup --days N`, `CALL cleanup_processed_events(N)`) deleted the raw events but
-- kept every identity, so a user id stayed stored indefinitely after the last event carrying it was gone. Now, when
-- retention deletes the event an identity was derived from (its `event_id`), the identity is derived again from the
-- visitor's identifying events still stored (a visitor identified again since keeps it, and with it its earlier
-- visits), or removed. The redact job (`trailmark-pg redact`) calls the same function for each identity whose user
-- id today's rules redact, after redacting the events. The analytics tables are kept, as before: a visitor whose
-- identity went counts by its visitor id.

-- Derives the identities of the visitors (site_ids[i], visitor_ids[i]) again from their identifying events in
-- events_log: the earliest identification left (migration 06's rule), or no row. Returns the rows it replaced or
-- removed. One pass over events_log, whatever the number of visitors: call it once per job, not per row.
CREATE OR REPLACE FUNCTION visitor_users_rebuild(site_ids TEXT[], visitor_ids TEXT[]) RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
    changed BIGINT;
BEGIN
    DELETE FROM visitor_users u USING unnest(site_ids, visitor_ids) AS l(site_id, visitor_id)
    WHERE u.site_id = l.site_id AND u.visitor_id = l.visitor_id;
    GET DIAGNOSTICS changed = ROW_COUNT;
    EXECUTE visitor_users_upsert('(SELECT e.* FROM events_log e
        WHERE (e.site_id, e.visitor_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))) AS rebuilt')
        USING site_ids, visitor_ids;
    RETURN changed;
END
$$;

-- 03's procedure, and: the identities whose identifying event it deleted are derived again once it is done.
CREATE OR REPLACE PROCEDURE cleanup_processed_events(retention_days INTEGER DEFAULT 90, INOUT deleted BIGINT DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
    chunk INTEGER;
    site_ids TEXT[] := '{}';
    visitor_ids TEXT[] := '{}';
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
        ), gone AS (
            DELETE FROM events_log e USING doomed WHERE e.id = doomed.id
            RETURNING e.site_id, e.visitor_id, e.event_id
        )
        -- visitor_users' key is (site_id, visitor_id): at most one identity per deleted event.
        SELECT count(*)::integer,
               site_ids || coalesce(array_agg(u.site_id) FILTER (WHERE u.site_id IS NOT NULL), '{}'),
               visitor_ids || coalesce(array_agg(u.visitor_id) FILTER (WHERE u.site_id IS NOT NULL), '{}')
        INTO chunk, site_ids, visitor_ids
        FROM gone LEFT JOIN visitor_users u
          ON u.site_id = gone.site_id AND u.visitor_id = gone.visitor_id AND lower(u.event_id) = gone.event_id::text;
        deleted := deleted + chunk;
        EXIT WHEN chunk < 10000;
    END LOOP;
    IF cardinality(site_ids) > 0 THEN
        PERFORM visitor_users_rebuild(site_ids, visitor_ids);
    END IF;
END
$$;

-- The identities kept so far past the events they came from.
DO $$
DECLARE
    site_ids TEXT[];
    visitor_ids TEXT[];
BEGIN
    SELECT array_agg(u.site_id), array_agg(u.visitor_id) INTO site_ids, visitor_ids FROM visitor_users u
    WHERE NOT EXISTS (SELECT 1 FROM events_log e WHERE e.event_id = lower(u.event_id)::uuid);
    IF site_ids IS NOT NULL THEN
        PERFORM visitor_users_rebuild(site_ids, visitor_ids);
    END IF;
END
$$;
