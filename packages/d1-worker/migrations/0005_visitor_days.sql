-- One row per visitor and UTC day they were seen, with that day's page views: the stats timeline counts each day
-- from what happened on it. It grouped the `visitors` rows by first visit (the seed's query), which put all of a
-- visitor's page views on the day they first came. Back-filled from the stored events; a visitor known only from
-- `/track/visitor` pings (no events) keeps their total on the day of their last visit, all their history says.
CREATE TABLE visitor_days (
  api_key TEXT NOT NULL,
  visitor_id TEXT NOT NULL,
  day TEXT NOT NULL,
  page_views INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (api_key, visitor_id, day)
);

CREATE INDEX idx_visitor_days_day ON visitor_days (api_key, day);

INSERT INTO visitor_days (api_key, visitor_id, day, page_views)
SELECT api_key, visitor_id, DATE(ts / 1000, 'unixepoch'), SUM(type = 'pageview')
FROM events GROUP BY api_key, visitor_id, DATE(ts / 1000, 'unixepoch');

INSERT OR IGNORE INTO visitor_days (api_key, visitor_id, day, page_views)
SELECT v.api_key, v.visitor_id, DATE(v.last_seen_at), COALESCE(v.page_views, 0)
FROM visitors v
WHERE v.last_seen_at IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.api_key = v.api_key AND e.visitor_id = v.visitor_id);
