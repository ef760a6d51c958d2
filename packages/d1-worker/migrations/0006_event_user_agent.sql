-- The User-Agent header of the request that stored each event (at most 512 characters), so the dashboard's
-- browser and OS breakdowns read the same thing on every backend. Rows stored before this migration have none.
ALTER TABLE events ADD COLUMN user_agent TEXT;
