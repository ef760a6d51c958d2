export type { ClickhouseNode, NodeOptions } from './app.js';
export { createNode } from './app.js';
export { CHDB_VERSION, chdbAvailable, chdbDir, openChdbStore } from './chdb-store.js';
export type { EventLog, LogOptions } from './event-log.js';
export { LogError, openEventLog } from './event-log.js';
export { openHttpStore } from './http-store.js';
export type { Loader, LoaderOptions } from './loader.js';
export { loadBatch, startLoader } from './loader.js';
export type { DecodedMessage, EventRow, LogMessage } from './message.js';
export {
  decodeMessage,
  EVENT_COLUMNS,
  encodeMessage,
  eventIdsOf,
  eventRows,
  eventRowsBinary,
  eventRowsTsv,
  messageId,
  unknownFormatOf,
} from './message.js';
export { appliedMigrations, MIGRATIONS_DIR, migrate } from './migrate.js';
export type { NatsNode, NatsNodeOptions } from './nats-node.js';
export { freePort, natsServerBinary, startNatsNode } from './nats-node.js';
export type { StoreLocation } from './open-store.js';
export { openStore } from './open-store.js';
export type { ServedStore } from './remote-store.js';
export { openRemoteStore, serveStore } from './remote-store.js';
export type { RunningClickhouse, StartOptions } from './server.js';
export { startClickhouse } from './server.js';
export type { ChStatsBudget, ReadPlan, ReadPlanner } from './stats-budget.js';
export { chStatsBudget, overBudget, readPlanner, StatsRefusal } from './stats-budget.js';
export type { StatsReader, StatsRequest } from './stats-queries.js';
export { answerStats, statsPanelSql, statsRequestOf } from './stats-queries.js';
export type { ChStore } from './store.js';
export { StoreError } from './store.js';
export { tsvArray, tsvField } from './tsv.js';
export type { StoredEvent, VisitRow } from './visit-rows.js';
export { agentOf, visitRows } from './visit-rows.js';
export { VISIT_COLUMNS, visitRowsTsv } from './visit-rows-tsv.js';
