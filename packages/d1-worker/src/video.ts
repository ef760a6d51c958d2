import { errorResponse, readJsonBody } from '@trailmark/protocol';
import { json } from './http.js';
import { findVisitor } from './read-api.js';

/** A visitor's video-session state; `null` before any invitation. */
export type VideoStatus = 'invited' | 'accepted' | 'declined' | 'completed';

const STATUSES: readonly VideoStatus[] = ['invited', 'accepted', 'declined', 'completed'];

/**
 * The allowed moves: an invitation is accepted or declined, an accepted call completes; a visitor who
 * declined or finished a call may be invited again (a new session).
 */
const TRANSITIONS: Record<VideoStatus, readonly (VideoStatus | null)[]> = {
  invited: [null, 'declined', 'completed'],
  accepted: ['invited'],
  declined: ['invited'],
  completed: ['accepted'],
};

/** Whether a visitor may move from `from` to `to`. */
export function canMove(from: VideoStatus | null, to: VideoStatus): boolean {
  return TRANSITIONS[to].includes(from);
}

/**
 * `POST`/`PATCH /api/visitors/:visitorId/video` with `{ status, video_session_id? }`: moves the visitor's
 * video status, setting its timestamps; 409 for a move the state machine does not allow. The update is a
 * compare-and-set on the old status, so two dashboards racing cannot both win.
 */
export async function updateVideoStatus(request: Request, db: D1Database, siteId: string, visitorId: string): Promise<Response> {
  const body = await readJsonBody(request, 4096);
  if (!body.ok) return errorResponse(body.code, body.error);
  const input = body.value as { status?: unknown; video_session_id?: unknown } | null;
  const status = input?.status;
  if (typeof status !== 'string' || !(STATUSES as readonly string[]).includes(status)) {
    return errorResponse('invalid_request', `status: must be one of ${STATUSES.join(', ')}`);
  }
  const sessionId = input?.video_session_id;
  if (sessionId !== undefined && (typeof sessionId !== 'string' || sessionId.length < 1 || sessionId.length > 128)) {
    return errorResponse('invalid_request', 'video_session_id: must be a string of 1 to 128 characters');
  }
  const visitor = await findVisitor(db, siteId, visitorId);
  if (!visitor) return errorResponse('not_found', 'no such visitor on this site');
  const from = (visitor.video_status ?? null) as VideoStatus | null;
  const to = status as VideoStatus;
  if (!canMove(from, to)) return errorResponse('conflict', `video status cannot move from ${from ?? 'none'} to ${to}`);
  const session = sessionId ?? (to === 'invited' ? `vs_${crypto.randomUUID()}` : null);
  // One transaction: the visitor's current state moves by compare-and-set on the old status, and the invitation's
  // own row (a new one for `invited`) moves with it only when the visitor did.
  const [moved] = await db.batch<Record<string, unknown>>([
    db
      .prepare(
        `UPDATE visitors SET
           video_status = ?2,
           video_session_id = CASE WHEN ?2 = 'invited' THEN ?3 ELSE COALESCE(?3, video_session_id) END,
           video_invited_at = CASE WHEN ?2 = 'invited' THEN CURRENT_TIMESTAMP ELSE video_invited_at END,
           video_accepted_at = CASE WHEN ?2 = 'invited' THEN NULL WHEN ?2 = 'accepted' THEN CURRENT_TIMESTAMP ELSE video_accepted_at END
         WHERE id = ?1 AND video_status IS ?4
         RETURNING video_session_id, video_status, video_invited_at, video_accepted_at`,
      )
      .bind(visitor.id, to, session, from),
    to === 'invited'
      ? db
          .prepare(
            `INSERT INTO video_sessions (visitor_row_id, video_session_id, status, invited_at)
             SELECT id, video_session_id, 'invited', video_invited_at FROM visitors
             WHERE id = ?1 AND video_status = 'invited' AND changes() = 1`,
          )
          .bind(visitor.id)
      : db
          .prepare(
            `UPDATE video_sessions SET
               status = ?2,
               video_session_id = COALESCE(?3, video_session_id),
               accepted_at = CASE WHEN ?2 = 'accepted' THEN CURRENT_TIMESTAMP ELSE accepted_at END,
               declined_at = CASE WHEN ?2 = 'declined' THEN CURRENT_TIMESTAMP ELSE declined_at END,
               completed_at = CASE WHEN ?2 = 'completed' THEN CURRENT_TIMESTAMP ELSE completed_at END
             WHERE id = (SELECT MAX(id) FROM video_sessions WHERE visitor_row_id = ?1) AND status IS ?4 AND changes() = 1`,
          )
          .bind(visitor.id, to, sessionId ?? null, from),
  ]);
  const changed = moved?.results[0];
  if (!changed) return errorResponse('conflict', 'the video status changed meanwhile; read it again');
  return json({ ok: true, visitor_id: visitorId, ...changed });
}
