-- The breakdowns outside the first screen at a million events (issue 22): covering indexes in the group order of
-- the entry page, exit page, referrer, browser and OS breakdowns, each `(site_id, value, visitor_key, start_ts,
-- bot, pageviews)` as 006's source, country and device ones, read whole by the grouped plan (`panelPlan` in
-- sqlite-panels.ts) when a range spans most of what the site holds. Without them each of these panels read the
-- range's whole visit rows and sorted them by value (210–380 ms of CPU each at a million events, 1.0–1.4 s at load 13).
-- The UTM breakdowns keep the range scan: only visits with a campaign are grouped (a ninth of them in the bench).
-- The cost is on writes: each new visit writes five more index entries, and so does each update of a visit that
-- changes its pageviews (every index carries them): storing 40,000 events in 100-event transactions took 2.60–2.65 s
-- of CPU against 2.23–2.29 s without these indexes (+15 %, alternating runs at load 11–12).
-- The same statements as the receiver's 009_dimension_indexes.sql. Existing rows are indexed as each index is created.
-- Rollback: DROP INDEX visits_by_entry_page, visits_by_exit_page, visits_by_referrer, visits_by_browser, visits_by_os
-- (one statement each).
CREATE INDEX visits_by_entry_page ON visits (site_id, entry_page, visitor_key, start_ts, bot, pageviews);
CREATE INDEX visits_by_exit_page ON visits (site_id, exit_page, visitor_key, start_ts, bot, pageviews);
CREATE INDEX visits_by_referrer ON visits (site_id, referrer, visitor_key, start_ts, bot, pageviews);
CREATE INDEX visits_by_browser ON visits (site_id, browser, visitor_key, start_ts, bot, pageviews);
CREATE INDEX visits_by_os ON visits (site_id, os, visitor_key, start_ts, bot, pageviews);
