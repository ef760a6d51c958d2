import type { NodeContext } from './context.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The SDK's check: which of these lower-cased event ids the site has, as far as this node can tell — those it
 * published lately (in the log, maybe not loaded yet) and those ClickHouse holds. A store that does not answer is
 * taken to hold nothing: an event left out is sent again by the SDK, and stored once.
 */
export async function storedIdsOf(ctx: NodeContext, site: string, ids: readonly string[]): Promise<string[]> {
  const found = ids.filter((id) => ctx.recent.has(site, id));
  const ask = ids.filter((id) => UUID.test(id) && !ctx.recent.has(site, id));
  if (ask.length === 0) return found;
  try {
    const rows = await ctx.store.query<{ id: string }>(
      'SELECT DISTINCT toString(event_id) AS id FROM events WHERE site_id = {site:String} AND event_id IN {ids:Array(UUID)}',
      { site, ids: ask },
    );
    for (const row of rows) found.push(row.id);
  } catch (error) {
    ctx.counters.storeErrors++;
    ctx.say(`looking up stored ids failed (answered from this node's memory): ${(error as Error).message}`);
  }
  return found;
}
