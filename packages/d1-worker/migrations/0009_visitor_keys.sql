-- Visitors counted as integers (issue 22): each site's visitor ids numbered in `visitor_keys`, and the number copied
-- into every per-visit rollup row as `visitor_key`, kept with the rows (visitRollupStatements() in
-- @trailmark/protocol). Why: a panel's distinct visitors were a distinct set of visitor-id strings over the range's
-- rows, the largest part of the dashboard's cost at a million events; a set of integers is several times cheaper.
-- Also: narrow covering indexes in the order the first screen's panels group by (pages, source, country, device,
-- goals), so such a panel reads short entries already grouped instead of sorting the range's
-- whole rows (used when the range spans most of what the site holds: `panelPlan` in sqlite-panels.ts).
-- Existing rows are filled here (the events migration 0008 still has to roll up get their keys as they are).
-- Rollback: DROP INDEX visits_by_source, visits_by_country, visits_by_device, visit_pages_by_path,
-- visit_types_by_type; DROP TABLE visitor_keys; ALTER TABLE <each rollup> DROP COLUMN
-- visitor_key (one statement each).
CREATE TABLE visitor_keys (
  key INTEGER PRIMARY KEY,
  site_id TEXT NOT NULL,
  visitor_id TEXT NOT NULL
);
CREATE UNIQUE INDEX visitor_keys_visitor ON visitor_keys (site_id, visitor_id);
INSERT OR IGNORE INTO visitor_keys (site_id, visitor_id) SELECT site_id, visitor_id FROM visits ORDER BY site_id, start_ts;

ALTER TABLE visits ADD COLUMN visitor_key INTEGER;
ALTER TABLE visit_pages ADD COLUMN visitor_key INTEGER;
ALTER TABLE visit_types ADD COLUMN visitor_key INTEGER;
ALTER TABLE visit_vitals ADD COLUMN visitor_key INTEGER;
ALTER TABLE visit_goal_props ADD COLUMN visitor_key INTEGER;
ALTER TABLE visit_links ADD COLUMN visitor_key INTEGER;
ALTER TABLE visit_revenue ADD COLUMN visitor_key INTEGER;
UPDATE visits SET visitor_key = (SELECT k.key FROM visitor_keys k WHERE k.site_id = visits.site_id AND k.visitor_id = visits.visitor_id);
UPDATE visit_pages SET visitor_key = (SELECT k.key FROM visitor_keys k WHERE k.site_id = visit_pages.site_id AND k.visitor_id = visit_pages.visitor_id);
UPDATE visit_types SET visitor_key = (SELECT k.key FROM visitor_keys k WHERE k.site_id = visit_types.site_id AND k.visitor_id = visit_types.visitor_id);
UPDATE visit_vitals SET visitor_key = (SELECT k.key FROM visitor_keys k WHERE k.site_id = visit_vitals.site_id AND k.visitor_id = visit_vitals.visitor_id);
UPDATE visit_goal_props SET visitor_key = (SELECT k.key FROM visitor_keys k WHERE k.site_id = visit_goal_props.site_id AND k.visitor_id = visit_goal_props.visitor_id);
UPDATE visit_links SET visitor_key = (SELECT k.key FROM visitor_keys k WHERE k.site_id = visit_links.site_id AND k.visitor_id = visit_links.visitor_id);
UPDATE visit_revenue SET visitor_key = (SELECT k.key FROM visitor_keys k WHERE k.site_id = visit_revenue.site_id AND k.visitor_id = visit_revenue.visitor_id);

CREATE INDEX visits_by_source ON visits (site_id, source, visitor_key, start_ts, bot, pageviews);
CREATE INDEX visits_by_country ON visits (site_id, country, visitor_key, start_ts, bot, pageviews);
CREATE INDEX visits_by_device ON visits (site_id, device, visitor_key, start_ts, bot, pageviews);
CREATE INDEX visit_pages_by_path ON visit_pages (site_id, path, visitor_key, start_ts, bot, views);
CREATE INDEX visit_types_by_type ON visit_types (site_id, type, visitor_key, start_ts, bot, events);
