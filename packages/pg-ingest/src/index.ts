export type { SiteConfig } from '@trailmark/node-http';
export { validateSites } from '@trailmark/node-http';
export type { Ingest, IngestOptions } from './app.js';
export { createIngest } from './app.js';
export type { IpMode } from './client-ip.js';
export { clientAddress, storedIp } from './client-ip.js';
export type { Db, OpenDatabaseOptions, Queryable } from './db.js';
export { manageSchema, openDatabase } from './db.js';
export type { EtlLoop, EtlLoopOptions, EtlResult, RunEtlOptions } from './etl.js';
export {
  calculateDailyMetrics,
  cleanupProcessedEvents,
  processEventsBatch,
  runEtl,
  startEtlLoop,
  updateActiveSessions,
} from './etl.js';
export { appliedMigrations, MIGRATIONS_DIR, migrate } from './migrate.js';
export type { FunnelOptions } from './queries.js';
export { activeSessions, campaigns, dailyMetrics, formFunnel, pagePerformance, topPages, trafficSources } from './queries.js';
export type { RunningIngest, StartOptions } from './server.js';
export { startIngest } from './server.js';
export type { PgStatsBudget } from './stats-budget.js';
export { PGLITE_STATS_BUDGET, POSTGRES_STATS_BUDGET } from './stats-budget.js';
export { STATS_ROUTE, statsPanelSql } from './stats-queries.js';
export { storageProblem } from './storable.js';
export type { InsertMeta, InsertStrategy } from './store.js';
export { insertEvents, StorageError } from './store.js';
