-- One row per video invitation, so the history survives a new invitation: `visitors.video_*` hold the current
-- invitation only (a re-invite cleared `video_accepted_at`, and the acceptance rate forgot the accepted call).
-- The acceptance rate is computed over these rows. Each existing invitation becomes its first row.
CREATE TABLE video_sessions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  -- The `visitors` row invited (its site is that of the row's write key).
  visitor_row_id INTEGER NOT NULL,
  video_session_id TEXT,
  status TEXT NOT NULL CHECK (status IN ('invited', 'accepted', 'declined', 'completed')),
  invited_at TIMESTAMP,
  accepted_at TIMESTAMP,
  declined_at TIMESTAMP,
  completed_at TIMESTAMP
);

CREATE INDEX idx_video_sessions_visitor ON video_sessions (visitor_row_id, id);

INSERT INTO video_sessions (visitor_row_id, video_session_id, status, invited_at, accepted_at)
SELECT id, video_session_id, video_status, video_invited_at, video_accepted_at
FROM visitors WHERE video_status IS NOT NULL;
