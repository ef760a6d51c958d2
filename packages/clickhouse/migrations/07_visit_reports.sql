-- The reports' per-visit figures on the visit row the loader writes (as its pages, vitals and funnel marks already
-- are), so every panel reads visit rows and none scans and joins the events of the range (at 10M events the event
-- reports took 1.2-3.5 s each, most of it reading the range's events with FINAL and joining them to millions of
-- visits by session id). The loader and the ingest nodes fill these from the visit's events (`visitRows()`).

-- The deepest scroll (%) the visit reported on each page it viewed (`scrollDepthOf`, at least 0), and the engaged
-- ms its page leaves reported there (`engagedMsOf`, summed): beside `pages.path`, one value per page. Rows written
-- before this migration read 0 until the backfill below replaces them.
ALTER TABLE visits ADD COLUMN IF NOT EXISTS `pages.depth` Array(Float64) AFTER `pages.views`;
ALTER TABLE visits ADD COLUMN IF NOT EXISTS `pages.engaged_ms` Array(Int64) AFTER `pages.depth`;

-- Clicks on outbound links and downloads (`linkOf`), per kind and URL.
ALTER TABLE visits ADD COLUMN IF NOT EXISTS `links.kind` Array(LowCardinality(String));
ALTER TABLE visits ADD COLUMN IF NOT EXISTS `links.url` Array(String);
ALTER TABLE visits ADD COLUMN IF NOT EXISTS `links.clicks` Array(UInt32);

-- The visit's goal events (custom types), each with its props' JSON text: goal properties and revenue.
ALTER TABLE visits ADD COLUMN IF NOT EXISTS `goals.name` Array(String);
ALTER TABLE visits ADD COLUMN IF NOT EXISTS `goals.props` Array(String);

-- Events lost in transit in the visit (`lostEvents`: the gaps in its session's sequence numbers, blocks of 1000 per
-- tab, its drop reports' numbers included).
ALTER TABLE visits ADD COLUMN IF NOT EXISTS lost Int64;

-- Visits loaded before this migration: each visit with anything to fill is written again, at its own version, with
-- the figures computed from its stored events (each event once: FINAL); of two rows of one version the later one
-- stands. A visit with none of these events already reads right (zeros, empty lists). Stop loaders of an older
-- release before migrating: a row they write after this lacks the figures until its visit is loaded again.
INSERT INTO visits (site_id, session_id, version, visitor_id, start_ms, pageviews, bounce, duration_s, entry_page, exit_page,
  source, referrer, utm_source, utm_medium, utm_campaign, country, device, browser, os, bot,
  `pages.path`, `pages.views`, `pages.depth`, `pages.engaged_ms`, `vitals.name`, `vitals.value`, `marks.t`, `marks.key`,
  `links.kind`, `links.url`, `links.clicks`, `goals.name`, `goals.props`, lost)
SELECT v.site_id, v.session_id, v.version, v.visitor_id, v.start_ms, v.pageviews, v.bounce, v.duration_s, v.entry_page,
  v.exit_page, v.source, v.referrer, v.utm_source, v.utm_medium, v.utm_campaign, v.country, v.device, v.browser, v.os, v.bot,
  v.`pages.path`, v.`pages.views`,
  arrayMap(p -> pg.depths[p], v.`pages.path`), arrayMap(p -> pg.engaged[p], v.`pages.path`),
  v.`vitals.name`, v.`vitals.value`, v.`marks.t`, v.`marks.key`,
  lk.kinds, lk.urls, lk.clicks, gl.names, gl.props, ls.lost
FROM visits AS v FINAL
LEFT JOIN (
  SELECT site_id, session_id, mapFromArrays(groupArray(page), groupArray(depth)) AS depths,
    mapFromArrays(groupArray(page), groupArray(engaged)) AS engaged
  FROM (
    SELECT site_id, session_id, page, greatest(0, max(ifNull(depth, 0))) AS depth, sum(engaged) AS engaged
    FROM (
      SELECT site_id, session_id, assumeNotNull(path) AS page,
        multiIf(type != 'scroll_depth', NULL,
          JSONType(props, 'milestone') != 'Null',
            if(JSONType(props, 'milestone') IN ('Int64', 'UInt64', 'Double'), JSONExtractFloat(props, 'milestone'), NULL),
          JSONType(props, 'max_depth') IN ('Int64', 'UInt64', 'Double'), JSONExtractFloat(props, 'max_depth'), NULL) AS depth,
        if(type = 'page_leave' AND JSONType(props, 'engaged_ms') IN ('Int64', 'UInt64', 'Double') AND JSONExtractFloat(props, 'engaged_ms') >= 0,
          toInt64(floor(JSONExtractFloat(props, 'engaged_ms') + 0.5)), 0) AS engaged
      FROM events FINAL WHERE type IN ('scroll_depth', 'page_leave') AND path IS NOT NULL)
    GROUP BY site_id, session_id, page)
  GROUP BY site_id, session_id) AS pg ON pg.site_id = v.site_id AND pg.session_id = v.session_id
LEFT JOIN (
  SELECT site_id, session_id, groupArray(kind) AS kinds, groupArray(url) AS urls, groupArray(n) AS clicks
  FROM (
    SELECT site_id, session_id, kind, JSONExtractString(props, 'href') AS url, toUInt32(count()) AS n
    FROM events FINAL ARRAY JOIN ['outbound', 'download'] AS kind
    WHERE type = 'click' AND JSONType(props, 'href') = 'String' AND JSONType(props, kind) = 'Bool' AND JSONExtractBool(props, kind)
    GROUP BY site_id, session_id, kind, url)
  GROUP BY site_id, session_id) AS lk ON lk.site_id = v.site_id AND lk.session_id = v.session_id
LEFT JOIN (
  SELECT site_id, session_id, groupArray(type) AS names, groupArray(if(props = '', '{}', props)) AS props
  FROM events FINAL
  WHERE type NOT IN ('pageview', 'page_leave', 'click', 'scroll_depth', 'form_submit', 'page_visibility', 'heartbeat',
    'text_copy', 'web_vital', 'sdk_dropped', 'js_error', 'form_start', 'form_abandon', 'identify')
  GROUP BY site_id, session_id) AS gl ON gl.site_id = v.site_id AND gl.session_id = v.session_id
LEFT JOIN (
  SELECT site_id, session_id, sum(block_lost) AS lost
  FROM (
    SELECT site_id, session_id, intDiv(seq - 1, 1000) AS block,
      toInt64(max(seq)) - toInt64(block) * 1000 - toInt64(count()) AS block_lost
    FROM events FINAL WHERE seq >= 1 GROUP BY site_id, session_id, block)
  GROUP BY site_id, session_id) AS ls ON ls.site_id = v.site_id AND ls.session_id = v.session_id
WHERE pg.session_id != '' OR lk.session_id != '' OR gl.session_id != '' OR ls.lost != 0;
