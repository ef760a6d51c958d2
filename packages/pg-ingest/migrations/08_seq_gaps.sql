-- 08_seq_gaps: the data-completeness panel at a million events (issue 22).
-- Rollback: DROP INDEX IF EXISTS idx_visit_seq_gaps;
--
-- Why: the panel counted lost events by joining every visit of the range to its sequence blocks (visit_seq), so it
-- read as much as the summary (2.7 s at a million events on a loaded machine), although lost events are rare. A
-- partial index of the blocks with a gap lets it start from those few blocks, each joined to its visit by primary
-- key; a block without a gap adds nothing to the sum. The SQLite backends have the same index (receiver migration
-- 008, D1 0011). The existing rows are indexed as it is created.
CREATE INDEX IF NOT EXISTS idx_visit_seq_gaps ON visit_seq (site_id, session_id) WHERE max_seq - block * 1000 - events <> 0;
