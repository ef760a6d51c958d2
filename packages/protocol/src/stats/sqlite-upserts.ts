/**
 * Upserts of the per-visit rollups (`sqlite-rollups.ts`) that add to a row or create it: the store's writes, and
 * the merge of a row whose key the privacy rules redact into the row of the redacted key (`redact-visits.ts`).
 * Internal to the protocol's stats modules (not exported from the package).
 */

/**
 * The key a visitor is counted by: its number in `visitor_keys` (bind values: site, visitor id). Counting integers
 * is what makes a range's distinct visitors cheap; mapping several visitor ids of one person to one key here is
 * all that identity stitching would change.
 */
export const VISITOR_KEY_OF = '(SELECT key FROM visitor_keys WHERE site_id = ? AND visitor_id = ?)';

export const PAGE_UPSERT = `INSERT INTO visit_pages (site_id, session_id, path, views, times, scroll, engaged_ms, start_ts, visitor_id, bot, visitor_key)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${VISITOR_KEY_OF})
  ON CONFLICT (site_id, session_id, path) DO UPDATE SET views = views + excluded.views,
  times = CASE WHEN excluded.times = '' THEN times WHEN times = '' THEN excluded.times ELSE times || ',' || excluded.times END,
  scroll = max(scroll, excluded.scroll), engaged_ms = engaged_ms + excluded.engaged_ms`;

export const GOAL_PROP_UPSERT = `INSERT INTO visit_goal_props (site_id, session_id, name, prop, value, events, start_ts, visitor_id, bot, visitor_key)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ${VISITOR_KEY_OF})
  ON CONFLICT (site_id, session_id, name, prop, value) DO UPDATE SET events = events + excluded.events`;

export const LINK_UPSERT = `INSERT INTO visit_links (site_id, session_id, kind, url, events, start_ts, visitor_id, bot, visitor_key)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ${VISITOR_KEY_OF})
  ON CONFLICT (site_id, session_id, kind, url) DO UPDATE SET events = events + excluded.events`;

export const DROP_UPSERT = `INSERT INTO drop_reports (site_id, ts, reason, dropped) VALUES (?, ?, ?, ?)
  ON CONFLICT (site_id, ts, reason) DO UPDATE SET dropped = dropped + excluded.dropped`;
