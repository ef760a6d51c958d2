-- Identity stitching (issue 24): each visitor identified by an event carrying a `user_id` (after `identify()`),
-- with the user it was identified as first, kept in the insert transaction by the store (identityStatements() in
-- @trailmark/protocol, `persons.ts`) and filled from the stored events when this migration runs.
-- Why: the visitor figures count people. A person is the user a visitor was identified as, else the visitor, so a
-- visitor who logs in midway (its earlier anonymous visits included) and the same user's other devices are one.
-- The earliest identification (server time, sequence number, event id) wins, so the row is the same whatever the
-- order or number of deliveries, and a user id the redaction changed (an e-mail address) identifies no one.
-- The panels resolve a rollup row's visitor here by primary key (personSql()).
-- Rollback: DROP TABLE visitor_users.
CREATE TABLE visitor_users (
  site_id TEXT NOT NULL,
  visitor_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  PRIMARY KEY (site_id, visitor_id)
) WITHOUT ROWID;

INSERT INTO visitor_users (site_id, visitor_id, user_id, ts, seq, event_id)
SELECT site_id, visitor_id, user_id, ts, seq, event_id FROM (
  SELECT site_id, json_extract(data, '$.visitor_id') AS visitor_id, json_extract(data, '$.user_id') AS user_id, ts,
    coalesce(json_extract(data, '$.seq'), 0) AS seq, event_id,
    row_number() OVER (
      PARTITION BY site_id, json_extract(data, '$.visitor_id')
      ORDER BY ts, coalesce(json_extract(data, '$.seq'), 0), event_id
    ) AS n
  FROM events
  WHERE json_type(data, '$.user_id') = 'text' AND json_extract(data, '$.user_id') <> ''
    AND instr(json_extract(data, '$.user_id'), '[redacted') = 0
) WHERE n = 1;
