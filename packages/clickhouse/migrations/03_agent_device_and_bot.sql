-- The device part of the request's user-agent class (`desktop`, `mobile`, `tablet` or `bot`), beside its browser and
-- OS parts: with it an event's stored class is whole (`Chrome; Windows; mobile`, as the other backends keep in
-- `user_agent`), and a bot's user agent counts against its visit. NULL for a request without a user agent, and in
-- rows loaded before this migration.
ALTER TABLE events ADD COLUMN IF NOT EXISTS agent_device LowCardinality(Nullable(String)) AFTER os;
-- Why a visit is a bot's (`user_agent`, `automation` or `behaviour`: botReason() in @trailmark/protocol), NULL for a
-- person's, as the other backends' visit rollups keep it. `device` stays the screen width's class, the dashboard's
-- dimension on every backend.
ALTER TABLE visits ADD COLUMN IF NOT EXISTS bot LowCardinality(Nullable(String)) AFTER os;
