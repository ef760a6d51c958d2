import { postgresBackend } from '../src/backends.js';
import { defineContract } from '../src/contract.js';

defineContract('postgres ingest (PGlite)', () => postgresBackend());

// A real PostgreSQL too when DATABASE_URL is set (CI), each run in a schema of its own.
const databaseUrl = process.env.DATABASE_URL;
if (databaseUrl) defineContract('postgres ingest (PostgreSQL)', () => postgresBackend(databaseUrl));
