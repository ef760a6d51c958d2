-- Since migration 07 no panel reads the events' `props` and `path` (migration 05 computed them from the JSON at
-- insert for the reports, which now read the visit rows): they are dropped, and each insert parses the JSON for the
-- sequence number alone (`seq`, which the identities' order reads). The drop reports' props are read from `raw`.
ALTER TABLE events DROP COLUMN IF EXISTS props;
ALTER TABLE events DROP COLUMN IF EXISTS path;
