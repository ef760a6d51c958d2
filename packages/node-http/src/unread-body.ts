import { drainBody, MAX_DRAIN_BYTES } from '@trailmark/protocol';

/** Whether a request declares a body (a length other than 0, or chunked). */
export function hasBody(request: Request): boolean {
  const length = request.headers.get('content-length');
  return (length !== null && length !== '0') || request.headers.has('transfer-encoding');
}

/**
 * Readies a refusal given before the body was used (a bad key, origin or method): the body is read and dropped up
 * to `MAX_DRAIN_BYTES`, so a client still sending sees the answer and the keep-alive connection stays usable; a body
 * larger than that is cut off and the answer closes the connection (`Connection: close`). Kept alive with bytes
 * unread, the rest of the body would be parsed as the next request on the connection, which then fails.
 */
export async function refuseUnread(request: Request, response: Response): Promise<Response> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  const drained = declared <= MAX_DRAIN_BYTES && (await drainBody(request, MAX_DRAIN_BYTES));
  if (!drained) {
    await request.body?.cancel().catch(() => undefined);
    if (hasBody(request)) response.headers.set('connection', 'close');
  }
  return response;
}

/** Marks an answer whose request still has unread bytes (see `BodyResult.unread`): the connection closes after it. */
export function closeIfUnread(response: Response, unread: boolean | undefined): Response {
  if (unread) response.headers.set('connection', 'close');
  return response;
}
