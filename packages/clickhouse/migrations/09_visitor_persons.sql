-- The person each identified visitor is, in fixed-width columns the panels read without finalizing aggregate states:
-- `visitor_users` (migration 06) keeps `argMin(user_id, (ts, seq, event_id))` as a state, and at 10M events turning
-- its 280,000 states into users took about 200 of the 700-1,000 CPU-ms of every panel that counts visitors. Here a
-- visitor's row holds its 16-byte key (as `visits.visitor_key`), its person (the `u`-prefixed SipHash of the user
-- id, as `PERSON` in src/stats-sql.ts counts it) and the identification's place: `(ts, seq, event_id)` packed into
-- one 256-bit number and inverted, so `ReplacingMergeTree` keeping the highest keeps the earliest identification,
-- the one `identitiesOf()` in @trailmark/protocol keeps (the event id's hex read as a big-endian number orders as its
-- text). Which identification counts is the same whatever the order or number of deliveries.
CREATE TABLE IF NOT EXISTS visitor_persons (
  site_id LowCardinality(String),
  visitor_key UInt128,
  person UInt128,
  rank UInt256
) ENGINE = ReplacingMergeTree(rank)
ORDER BY (site_id, visitor_key);

-- The same events as `visitor_users_mv` (a user id the redaction left whole), the earliest of each visitor per insert.
CREATE MATERIALIZED VIEW IF NOT EXISTS visitor_persons_mv TO visitor_persons AS
SELECT site_id, visitor_key, argMin(person, place) AS person, bitNot(min(place)) AS rank
FROM (
  SELECT site_id, reinterpretAsUInt128(sipHash128('v', visitor_id)) AS visitor_key,
    reinterpretAsUInt128(sipHash128('u', JSONExtractString(raw, 'user_id'))) AS person,
    bitShiftLeft(toUInt256(toUInt64(greatest(ts, 0))), 160) + bitShiftLeft(toUInt256(seq), 128)
      + toUInt256(reinterpretAsUInt128(reverse(unhex(replaceAll(toString(event_id), '-', ''))))) AS place
  FROM events
  WHERE position(raw, '"user_id"') > 0 AND JSONType(raw, 'user_id') = 'String'
    AND JSONExtractString(raw, 'user_id') != '' AND position(JSONExtractString(raw, 'user_id'), '[redacted') = 0)
GROUP BY site_id, visitor_key;

-- Visitors identified before this migration, from their stored events.
INSERT INTO visitor_persons
SELECT site_id, visitor_key, argMin(person, place) AS person, bitNot(min(place)) AS rank
FROM (
  SELECT site_id, reinterpretAsUInt128(sipHash128('v', visitor_id)) AS visitor_key,
    reinterpretAsUInt128(sipHash128('u', JSONExtractString(raw, 'user_id'))) AS person,
    bitShiftLeft(toUInt256(toUInt64(greatest(ts, 0))), 160) + bitShiftLeft(toUInt256(seq), 128)
      + toUInt256(reinterpretAsUInt128(reverse(unhex(replaceAll(toString(event_id), '-', ''))))) AS place
  FROM events
  WHERE position(raw, '"user_id"') > 0 AND JSONType(raw, 'user_id') = 'String'
    AND JSONExtractString(raw, 'user_id') != '' AND position(JSONExtractString(raw, 'user_id'), '[redacted') = 0)
GROUP BY site_id, visitor_key;
