-- Incremental visit rollups: the events a batch stores are queued here in the batch's own transaction (so a visit
-- never counts an event that is not stored, and an event that is stored is never left out), then folded into their
-- visits' stored state (`visit_states`) and deleted from here by one guarded batch (src/visit-fold.ts). A batch
-- then costs its own events, not its visits' lengths: until 0013 every batch rebuilt each visit it touched from all
-- of that visit's stored events (a 500-event session read 500 events on each of its batches).
-- A row left here (a fold that lost every retry to concurrent writers of the same visit, or failed) is folded by the
-- next batch of its visit, a step before each stats read, and the cron trigger.
-- Visits written before 0013 keep working as they are: their `visit_states` row is the fold of all their events,
-- which is what the incremental fold continues from; events stored before 0013 are never queued.
-- Rollback: DROP TABLE visit_pending (after folding what it holds, or rebuilding those visits).
CREATE TABLE visit_pending (
  site_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  -- The stored event's rowid in `events`.
  event_rowid INTEGER NOT NULL,
  PRIMARY KEY (site_id, session_id, event_rowid)
) WITHOUT ROWID;
