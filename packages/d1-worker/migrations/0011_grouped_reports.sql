-- The dashboard's first screen at a million events (issue 22): covering indexes for the panels that still read
-- whole rollup rows or sorted them, each read whole by the grouped plan (`panelPlan` in sqlite-panels.ts) when a
-- range spans most of what the site holds. The same statements as the receiver's 008_grouped_reports.sql.
-- * visit_pages_by_path gains each page's scroll and engaged time: the scroll-depth and engaged-time panels group
--   by path too, and read it instead of the range's whole page rows (912 ms → 118 ms of CPU at a million events).
-- * visit_vitals_by_name, ordered by metric, then value: the 75th percentile is a rank counted in SQL (212 ms of
--   98,000 values handed to JavaScript → 56 ms).
-- * visit_seq_gaps, a partial index of the sequence blocks with a gap: lost events are read from those few blocks
--   (225 ms → under 1 ms when none is lost).
-- * visit_links_by_url, by kind, then URL: the outbound-link and download panels read their kind's entries only,
--   already grouped (86–107 ms → 19 ms).
-- * visits_by_start: the summary, the timeseries and the stats budget's count read narrow entries of the range
--   instead of whole visit rows (summary 91 ms → 70 ms, timeseries 177 → 116, the count 21 → 11).
-- Existing rows are indexed as each index is created; nothing else changes.
-- Rollback: DROP INDEX visit_vitals_by_name, visit_seq_gaps, visit_links_by_url, visits_by_start (one statement each); DROP INDEX
-- visit_pages_by_path; CREATE INDEX visit_pages_by_path ON visit_pages (site_id, path, visitor_key, start_ts, bot, views).
DROP INDEX visit_pages_by_path;
CREATE INDEX visit_pages_by_path ON visit_pages (site_id, path, visitor_key, start_ts, bot, views, scroll, engaged_ms);
CREATE INDEX visit_vitals_by_name ON visit_vitals (site_id, name, value, start_ts, bot);
CREATE INDEX visit_seq_gaps ON visit_seq (site_id, session_id) WHERE max_seq - block * 1000 - events <> 0;
CREATE INDEX visit_links_by_url ON visit_links (site_id, kind, url, visitor_key, start_ts, bot, events);
CREATE INDEX visits_by_start ON visits (site_id, start_ts, bot, visitor_key, pageviews, bounce, duration_s);
