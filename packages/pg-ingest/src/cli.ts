import { databaseOptions, integerFlag, lastFlag, type ParsedArgs, parseArgs, serveOptions } from './config.js';
import { type Db, openDatabase } from './db.js';
import { calculateDailyMetrics, cleanupProcessedEvents, processEventsBatch, updateActiveSessions } from './etl.js';
import { migrate } from './migrate.js';
import { redactStored } from './redact-stored.js';
import { startIngest } from './server.js';

const USAGE = `trailmark-pg: Trailmark's Postgres ingest server

  trailmark-pg serve --site demo --write-key pk_demo --read-key sk_demo --origin http://127.0.0.1:8080
                     [--config sites.json] [--port 8790] [--host 127.0.0.1] [--database-url URL | --data-dir DIR]
                     [--etl-interval SECONDS (0 = off)] [--etl-batch N] [--ip truncate|full|none]
                     [--trust-proxy x-forwarded-for] [--rate-limit PER_SECOND --rate-burst N] [--max-in-flight N]
                     [--memory (PGlite in memory)] [--insert json|unnest] [--schema NAME]
  trailmark-pg migrate                      apply pending migrations
  trailmark-pg etl [--batch 5000]           process raw events until none are left, close idle sessions
  trailmark-pg daily --from YYYY-MM-DD --to YYYY-MM-DD   recompute daily_site_metrics (idempotent)
  trailmark-pg cleanup --days 90            delete processed raw events older than N days (N >= 8)
  trailmark-pg redact                       run today's privacy rules over the raw events and every table derived from them

The database is DATABASE_URL (or --database-url) when set, else embedded PGlite in --data-dir
(default .data/pg-ingest; for development, demos and tests: PGlite does not fsync).`;

/**
 * The command line. Returns the exit code; `serve` resolves once listening and keeps the process alive
 * until SIGINT/SIGTERM. `out` receives normal output, `err` problems; `env` supplies `DATABASE_URL`.
 */
export async function main(
  argv: readonly string[],
  out = (line: string) => console.log(line),
  err = (line: string) => console.error(line),
  env: NodeJS.ProcessEnv = process.env,
) {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (error) {
    err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  try {
    switch (args.command) {
      case 'serve':
        return await serve(args, out, env);
      case 'migrate':
      case 'etl':
      case 'daily':
      case 'cleanup':
      case 'redact':
        return await databaseCommand(args, out, env);
      case 'help':
        out(USAGE);
        return 0;
      default:
        err(`unknown command ${args.command}\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    err(`trailmark-pg ${args.command}: ${(error as Error).message}`);
    return 1;
  }
}

async function serve(args: ParsedArgs, out: (line: string) => void, env: NodeJS.ProcessEnv): Promise<number> {
  const options = serveOptions(args, env);
  const server = await startIngest(options);
  const where = options.databaseUrl
    ? 'PostgreSQL (DATABASE_URL)'
    : `embedded PGlite ${options.dataDir ? `in ${options.dataDir}` : 'in memory'} (development only: no fsync)`;
  out(`trailmark-pg listening on ${server.url} (POST /v1/batch), database: ${where}`);
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return 0;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

async function databaseCommand(args: ParsedArgs, out: (line: string) => void, env: NodeJS.ProcessEnv): Promise<number> {
  // Flags are checked before the database is opened, so a typo never touches (or creates) it.
  const job = databaseJob(args);
  const db = await openDatabase(databaseOptions(args, env));
  try {
    const applied = await migrate(db);
    out(await job(db, applied));
    return 0;
  } finally {
    await db.close();
  }
}

type Job = (db: Db, applied: string[]) => Promise<string>;

function databaseJob(args: ParsedArgs): Job {
  switch (args.command) {
    case 'redact':
      return async (db) => JSON.stringify({ ok: true, changed: await redactStored(db) });
    case 'migrate':
      return async (_db, applied) => (applied.length > 0 ? `applied ${applied.join(', ')}` : 'the schema is up to date');
    case 'etl': {
      const batch = integerFlag(args.flags, 'batch') ?? 5000;
      if (batch < 1) throw new Error('--batch must be at least 1');
      return async (db) => {
        let processed = 0;
        for (;;) {
          const n = await processEventsBatch(db, batch);
          processed += n;
          if (n < batch) break;
        }
        const closed = await updateActiveSessions(db);
        return `processed ${processed} events, closed ${closed} idle sessions`;
      };
    }
    case 'daily': {
      const from = lastFlag(args.flags, 'from');
      const to = lastFlag(args.flags, 'to') ?? from;
      if (!from || !DAY.test(from) || !to || !DAY.test(to)) throw new Error('--from and --to must be dates YYYY-MM-DD');
      return async (db) => `wrote ${await calculateDailyMetrics(db, from, to)} daily_site_metrics rows for ${from}..${to}`;
    }
    default: {
      const days = integerFlag(args.flags, 'days') ?? 90;
      if (days < 8) throw new Error('--days must be at least 8 (events up to 7 days old are still accepted)');
      return async (db) => `deleted ${await cleanupProcessedEvents(db, days)} processed raw events older than ${days} days`;
    }
  }
}
