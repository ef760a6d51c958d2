import { d1Backend, postgresBackend, referenceBackend } from '../src/backends.js';
import { defineStatsContract } from '../src/stats.js';

defineStatsContract('reference receiver', () => referenceBackend());
defineStatsContract('postgres ingest (PGlite)', () => postgresBackend());
const databaseUrl = process.env.DATABASE_URL;
if (databaseUrl) defineStatsContract('postgres ingest (PostgreSQL)', () => postgresBackend(databaseUrl));
defineStatsContract('d1 worker (Miniflare)', () => d1Backend());
