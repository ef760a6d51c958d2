import type { D1Database } from '@cloudflare/workers-types';

export const MIGRATIONS_DIR: string;
export function migrationNames(dir?: string): string[];
export function splitStatements(sql: string): string[];
export function applyMigrations(db: D1Database, options?: { dir?: string; until?: string }): Promise<string[]>;
