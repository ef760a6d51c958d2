import type { D1Database } from '@cloudflare/workers-types';

export function seedPageviews(
  db: D1Database,
  options: { writeKey: string; site: string; count: number; from: number; spanMs: number; padding?: number },
): Promise<void>;
