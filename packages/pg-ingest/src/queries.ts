import type { Queryable } from './db.js';

// Read queries of the read API. Counts are cast to int and averages to float8 so node-postgres and PGlite
// answer the same JSON (pg returns bigint and numeric as strings), and dates are formatted as text.

/** `daily_site_metrics` rows of a site for the UTC days `from`..`to`. */
export function dailyMetrics(db: Queryable, siteId: string, from: string, to: string) {
  return db.query(
    `SELECT to_char(metric_date, 'YYYY-MM-DD') AS date, unique_visitors, total_sessions, total_pageviews,
            bounce_rate::float8 AS bounce_rate, avg_session_duration_seconds, avg_pages_per_session::float8 AS avg_pages_per_session,
            total_events, direct_sessions, search_sessions, social_sessions, referral_sessions
     FROM daily_site_metrics
     WHERE site_id = $1 AND metric_date BETWEEN $2::date AND $3::date
     ORDER BY metric_date`,
    [siteId, from, to],
  );
}

/** The seed's "top pages by unique visitors", scoped to one site and a window of days. */
export function topPages(db: Queryable, siteId: string, { days = 7, limit = 10 } = {}) {
  return db.query(
    `SELECT path,
            COUNT(DISTINCT visitor_id)::int AS unique_visitors,
            COUNT(*)::int AS total_pageviews,
            AVG(time_on_page_seconds)::float8 AS avg_time_on_page
     FROM pageviews
     WHERE site_id = $1 AND view_timestamp > NOW() - make_interval(days => $2)
     GROUP BY path
     ORDER BY unique_visitors DESC, total_pageviews DESC, path
     LIMIT $3`,
    [siteId, days, limit],
  );
}

/** Options of `formFunnel()`: the page that shows interest, the page holding the form. */
export interface FunnelOptions {
  interestPath: string;
  formPath: string;
  days?: number;
}

/**
 * The seed's form conversion funnel, fixed: sessions of one site with a pageview in the window; how many viewed
 * the interest page, the form page, submitted a form; `contact_rate` = form page viewers / sessions and
 * `form_conversion_rate` = form page viewers who submitted / form page viewers (NULL, not a division error,
 * when nobody saw the form page). The seed joined every pageview to every event of the session.
 */
export async function formFunnel(db: Queryable, siteId: string, { interestPath, formPath, days = 30 }: FunnelOptions) {
  const [row] = await db.query(
    `WITH pv AS (
       SELECT session_id, BOOL_OR(path = $2) AS viewed_interest, BOOL_OR(path = $3) AS viewed_form_page
       FROM pageviews
       WHERE site_id = $1 AND view_timestamp > NOW() - make_interval(days => $4)
       GROUP BY session_id
     ), submitted AS (
       SELECT DISTINCT session_id FROM user_events
       WHERE site_id = $1 AND event_type = 'form_submit' AND event_timestamp > NOW() - make_interval(days => $4)
     ), funnel AS (
       SELECT pv.*, s.session_id IS NOT NULL AS submitted_form
       FROM pv LEFT JOIN submitted s USING (session_id)
     )
     SELECT COUNT(*)::int AS total_sessions,
            COUNT(*) FILTER (WHERE viewed_interest)::int AS interest_viewers,
            COUNT(*) FILTER (WHERE viewed_form_page)::int AS form_page_viewers,
            COUNT(*) FILTER (WHERE submitted_form)::int AS form_submitters,
            (COUNT(*) FILTER (WHERE viewed_form_page))::float8 / NULLIF(COUNT(*), 0) AS contact_rate,
            (COUNT(*) FILTER (WHERE viewed_form_page AND submitted_form))::float8
              / NULLIF(COUNT(*) FILTER (WHERE viewed_form_page), 0) AS form_conversion_rate
     FROM funnel`,
    [siteId, interestPath, formPath, days],
  );
  return row;
}

/** The seed's attribution by UTM campaign, scoped to one site. */
export function campaigns(db: Queryable, siteId: string, { days = 30 } = {}) {
  return db.query(
    `SELECT utm_source, utm_medium, utm_campaign,
            COUNT(*)::int AS sessions,
            COUNT(DISTINCT visitor_id)::int AS unique_visitors,
            AVG(duration_seconds)::float8 AS avg_session_duration,
            AVG(pageview_count)::float8 AS avg_pages_per_session,
            AVG(CASE WHEN bounce THEN 1 ELSE 0 END)::float8 AS bounce_rate
     FROM user_sessions
     WHERE site_id = $1 AND session_start > NOW() - make_interval(days => $2) AND utm_source IS NOT NULL
     GROUP BY utm_source, utm_medium, utm_campaign
     ORDER BY sessions DESC, utm_source, utm_medium, utm_campaign`,
    [siteId, days],
  );
}

/** The `traffic_sources` view for one site. */
export function trafficSources(db: Queryable, siteId: string) {
  return db.query(
    `SELECT referrer_type, referrer_platform, sessions::int, unique_visitors::int,
            avg_session_duration::float8, avg_pages_per_session::float8, bounce_rate::float8
     FROM traffic_sources WHERE site_id = $1
     ORDER BY sessions DESC, referrer_type, referrer_platform`,
    [siteId],
  );
}

/** The `active_sessions` view for one site, most recent activity first. */
export function activeSessions(db: Queryable, siteId: string, { limit = 100 } = {}) {
  return db.query(
    `SELECT session_id, visitor_id, session_start, last_event_at, pageview_count, event_count,
            entry_path, exit_path, referrer_type, referrer_platform, utm_source, utm_campaign,
            EXTRACT(EPOCH FROM session_age)::int AS age_seconds
     FROM active_sessions WHERE site_id = $1
     ORDER BY last_event_at DESC
     LIMIT $2`,
    [siteId, limit],
  );
}

/** The `page_performance` view for one site, most viewed first. */
export function pagePerformance(db: Queryable, siteId: string, { limit = 100 } = {}) {
  return db.query(
    `SELECT path, total_views::int, avg_time_on_page::float8, unique_sessions::int, entrances::int, bounce_rate::float8
     FROM page_performance WHERE site_id = $1
     ORDER BY total_views DESC, path
     LIMIT $2`,
    [siteId, limit],
  );
}
