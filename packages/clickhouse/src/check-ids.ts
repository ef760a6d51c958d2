import type { NodeContext } from './context.js';
import { unloadedIdsOf } from './log-ids.js';
import { storedIdsOf } from './stored-ids.js';

/**
 * The SDK's check (`{ check: [ids] }`): which of these lower-cased event ids the site has — those this node
 * published lately, those ClickHouse holds, and those still in the log that the loaders have not loaded yet (published
 * by any ingest node). A log that does not answer leaves its part out: the SDK sends those events again, and they are
 * stored once.
 */
export async function checkedIdsOf(ctx: NodeContext, site: string, ids: readonly string[]): Promise<string[]> {
  const found = await storedIdsOf(ctx, site, ids);
  if (!ctx.log || found.length === ids.length) return found;
  const known = new Set(found);
  try {
    for (const id of await unloadedIdsOf(
      ctx.log,
      site,
      ids.filter((id) => !known.has(id)),
    ))
      found.push(id);
  } catch (error) {
    ctx.counters.logErrors++;
    ctx.say(`looking up ids in the log failed (answered from ClickHouse): ${(error as Error).message}`);
  }
  return found;
}
