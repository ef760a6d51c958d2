/**
 * Writes `count` one-pageview visits of a site straight into the events table, in one statement, stamped evenly
 * over `spanMs` from `from`: the rows the Worker's ingest writes for them, for tests and benches that measure a read
 * of many events (through HTTP, 60,000 took over half an hour on a loaded machine). `padding` adds that many bytes
 * to each event's props (which the stats read leaves out of a pageview).
 */
export async function seedPageviews(db, { writeKey, site, count, from, spanMs, padding = 0 }) {
  await db
    .prepare(
      `INSERT INTO events (event_id, ingest_id, api_key, site_id, visitor_id, session_id, type, ts, received_at, payload)
       WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?3 - 1)
       SELECT printf('00000000-0000-4000-8000-%012d', i), 'seed', ?1, ?2, 'v' || i, 's' || i, 'pageview', ?4 + i * ?5 / ?3, ?4,
              json_object('event_id', printf('00000000-0000-4000-8000-%012d', i), 'type', 'pageview', 'ts', ?4 + i * ?5 / ?3,
                          'site_id', ?2, 'visitor_id', 'v' || i, 'session_id', 's' || i, 'seq', 1,
                          'url', 'https://acme.example/p' || (i % 100), 'path', '/p' || (i % 100),
                          'props', json_object('padding', hex(zeroblob(?6))))
         FROM n`,
    )
    .bind(writeKey, site, count, from, spanMs, Math.ceil(padding / 2))
    .run();
}
