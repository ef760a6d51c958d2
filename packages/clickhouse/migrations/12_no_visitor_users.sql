-- Since migration 09 the panels count people by `visitor_persons`; `visitor_users` (migration 06: argMin states of
-- each visitor's user id) is read by nothing, yet its view ran on every insert of events (a filter and an aggregation
-- of the batch's identified events, and one more query plan built per insert). Measured into embedded chDB, 100,000
-- events in 250-message inserts: about 1 CPU-µs an event of the events insert (load average 9-16, noisy).
DROP VIEW IF EXISTS visitor_users_mv;
DROP TABLE IF EXISTS visitor_users;
