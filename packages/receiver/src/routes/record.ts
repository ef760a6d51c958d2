import type { Rejection } from '@trailmark/protocol';
import type { ReceiverContext } from '../context.js';

/** Adds each refused event of an answered request to the inspection log. */
export function recordEventRejections(ctx: ReceiverContext, request: Request, siteId: string, rejected: readonly Rejection[]): void {
  const at = new Date(ctx.clock()).toISOString();
  const path = new URL(request.url).pathname.slice(0, 512);
  const origin = request.headers.get('origin')?.slice(0, 200) ?? null;
  for (const rejection of rejected) {
    ctx.rejections.add({
      at,
      kind: 'event',
      method: request.method,
      path,
      status: 200,
      code: 'rejected',
      reason: rejection.reason,
      site_id: siteId,
      origin,
      index: rejection.index,
      event_id: rejection.event_id,
    });
  }
}
