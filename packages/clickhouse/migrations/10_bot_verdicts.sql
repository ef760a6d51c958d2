-- Visits loaded before migration 03 have no bot verdict (`bot` NULL, the column's default), so a bot's visit of then
-- counted as a person's. The verdict is `botReason()` of @trailmark/protocol over the visit's events; the user-agent
-- part cannot apply to those events (their request's device class was not kept: `agent_device` NULL), the SDK's
-- automation flag and the behaviour rules can, and are judged here from the stored events (each once: FINAL) as the
-- loader judges them. Only a visit whose verdict is not NULL is written again (at its own version; of two rows of one
-- version the later stands): for a visit the loader judged, the same rules give the NULL it already has.
INSERT INTO visits (site_id, session_id, version, visitor_id, start_ms, pageviews, bounce, duration_s, entry_page, exit_page,
  source, referrer, utm_source, utm_medium, utm_campaign, country, device, browser, os, bot,
  `pages.path`, `pages.views`, `pages.depth`, `pages.engaged_ms`, `vitals.name`, `vitals.value`, `marks.t`, `marks.key`,
  `links.kind`, `links.url`, `links.clicks`, `goals.name`, `goals.props`, lost)
SELECT v.site_id, v.session_id, v.version, v.visitor_id, v.start_ms, v.pageviews, v.bounce, v.duration_s, v.entry_page,
  v.exit_page, v.source, v.referrer, v.utm_source, v.utm_medium, v.utm_campaign, v.country, v.device, v.browser, v.os,
  s.verdict,
  v.`pages.path`, v.`pages.views`, v.`pages.depth`, v.`pages.engaged_ms`, v.`vitals.name`, v.`vitals.value`, v.`marks.t`,
  v.`marks.key`, v.`links.kind`, v.`links.url`, v.`links.clicks`, v.`goals.name`, v.`goals.props`, v.lost
FROM visits AS v FINAL
INNER JOIN (
  SELECT site_id, session_id,
    multiIf(automation, 'automation',
      views >= 5 AND leaves > 0 AND NOT engaged, 'behaviour',
      views >= 10 AND last_view - first_view < (views - 1) * 1000, 'behaviour', '') AS verdict
  FROM (
    SELECT site_id, session_id,
      max(JSONHas(raw, 'bot')) = 1 AS automation,
      countIf(type = 'pageview') AS views,
      countIf(type = 'page_leave') AS leaves,
      max(toUInt8(
        type NOT IN ('pageview', 'page_leave', 'scroll', 'page_visibility', 'web_vital', 'js_error', 'identify')
        OR (type IN ('page_leave', 'page_visibility') AND JSONType(raw, 'props', 'engaged_ms') IN ('Int64', 'UInt64', 'Double')
            AND JSONExtractFloat(raw, 'props', 'engaged_ms') > 0))) = 1 AS engaged,
      minIf(ts, type = 'pageview') AS first_view,
      maxIf(ts, type = 'pageview') AS last_view
    FROM events FINAL
    WHERE type != 'sdk_dropped'
    GROUP BY site_id, session_id)
  WHERE verdict != '') AS s ON s.site_id = v.site_id AND s.session_id = v.session_id
WHERE v.bot IS NULL;
