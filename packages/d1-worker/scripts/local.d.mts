import type { D1Database } from '@cloudflare/workers-types';
import type { Miniflare } from 'miniflare';

export const PACKAGE_DIR: string;
export const WORKER_BUNDLE: string;
export const COMPATIBILITY_DATE: string;
export function wranglerDatabaseId(): string;
export const SAMPLE_CF: { country: string; city: string; timezone: string; asOrganization: string };
export function ensureBundle(options?: { force?: boolean }): Promise<string>;
export function startWorker(options?: {
  port?: number;
  persist?: string;
  cf?: Record<string, unknown> | boolean;
  vars?: Record<string, string>;
  migrate?: boolean;
  scriptPath?: string;
  output?: (text: string, stream: 'stdout' | 'stderr') => void;
}): Promise<{ mf: Miniflare; db: D1Database; url: URL; workerdUrl: URL }>;
export function seedSite(
  db: D1Database,
  site: { site: string; writeKey: string; secretKey: string; website: string; owner?: string },
): Promise<void>;
