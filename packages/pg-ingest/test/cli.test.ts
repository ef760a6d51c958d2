import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { parseArgs, serveOptions } from '../src/config.js';
import { openDatabase } from '../src/db.js';
import { event, MINUTE, store, utcMidnight } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'trailmark-pg-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    (line) => out.push(line),
    (line) => err.push(line),
    // No DATABASE_URL: these commands must use the PGlite data directory even when the suite runs against PostgreSQL.
    {},
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('trailmark-pg command line', () => {
  it('reads sites from flags like the reference receiver, and from a JSON config file', () => {
    const args = parseArgs([
      'serve',
      '--site',
      'demo',
      '--write-key',
      'pk_demo',
      '--read-key',
      'sk_demo',
      '--origin',
      'http://127.0.0.1:8080',
      '--origin=http://localhost:8080',
      '--port',
      '9000',
      '--etl-interval',
      '0',
      '--ip',
      'full',
    ]);
    const options = serveOptions(args, {});
    expect(options.sites).toEqual([
      { id: 'demo', writeKey: 'pk_demo', readKey: 'sk_demo', origins: ['http://127.0.0.1:8080', 'http://localhost:8080'] },
    ]);
    expect(options).toMatchObject({ port: 9000, host: '127.0.0.1', etlIntervalMs: 0, ip: 'full', dataDir: '.data/pg-ingest' });
    expect(options.databaseUrl).toBeUndefined();
    // The reference receiver's spelling works too: flags alone mean serve; --rate-limit/--rate-burst; --memory.
    const receiverStyle = serveOptions(
      parseArgs([
        '--site',
        'demo',
        '--write-key',
        'pk_demo',
        '--read-key',
        'sk_demo',
        '--rate-limit',
        '5',
        '--rate-burst',
        '9',
        '--memory',
      ]),
      {},
    );
    expect(receiverStyle).toMatchObject({ rateLimit: { perSecond: 5, burst: 9 }, dataDir: undefined });
    expect(parseArgs(['serve', '--help']).command).toBe('help');

    const config = join(dir, 'sites.json');
    writeFileSync(config, JSON.stringify({ sites: [{ id: 'a', writeKey: 'pk_aaaa', readKey: 'sk_aaaa', origins: ['*'] }], port: 7000 }));
    const fromFile = serveOptions(parseArgs(['serve', '--config', config]), { DATABASE_URL: 'postgres://x@127.0.0.1/db' });
    expect(fromFile).toMatchObject({ port: 7000, databaseUrl: 'postgres://x@127.0.0.1/db', sites: [{ id: 'a' }] });
  });

  it('refuses bad command lines with exit code 2 or 1 and a reason', async () => {
    expect((await run(['serve', '--write-key', 'pk_x'])).code).toBe(2);
    expect((await run(['launch'])).code).toBe(2);
    const noSites = await run(['serve']);
    expect(noSites).toMatchObject({ code: 1 });
    expect(noSites.err).toMatch(/no sites configured/);
    const badDay = await run(['daily', '--from', 'yesterday', '--data-dir', join(dir, 'db')]);
    expect(badDay.code).toBe(1);
    expect(badDay.err).toMatch(/YYYY-MM-DD/);
  });

  it('migrates, runs the ETL, recomputes days and cleans up against a PGlite data directory', async () => {
    const dataDir = join(dir, 'db');
    expect(await run(['migrate', '--data-dir', dataDir])).toMatchObject({
      code: 0,
      out: 'applied 01_init.sql, 02_analytics.sql, 03_procedures.sql, 04_visit_rollups.sql, 05_report_rollups.sql, 06_visitor_users.sql, 07_identity_retention.sql, 08_seq_gaps.sql, 09_session_panels.sql, 10_grouped_panels.sql, 11_visit_dimensions.sql',
    });
    expect(await run(['migrate', '--data-dir', dataDir])).toMatchObject({ code: 0, out: 'the schema is up to date' });
    const db = await openDatabase({ dataDir });
    const day = utcMidnight(1);
    await store(db, [event({ session_id: 'cli' }, day + 60 * MINUTE), event({ session_id: 'cli', path: '/2' }, day + 61 * MINUTE)]);
    await db.close();
    expect(await run(['etl', '--data-dir', dataDir, '--batch', '1'])).toMatchObject({
      code: 0,
      out: 'processed 2 events, closed 0 idle sessions',
    });
    const date = new Date(day).toISOString().slice(0, 10);
    expect(await run(['daily', '--from', date, '--to', date, '--data-dir', dataDir])).toMatchObject({
      code: 0,
      out: `wrote 1 daily_site_metrics rows for ${date}..${date}`,
    });
    expect(await run(['cleanup', '--days', '30', '--data-dir', dataDir])).toMatchObject({
      code: 0,
      out: 'deleted 0 processed raw events older than 30 days',
    });
    expect((await run(['cleanup', '--days', '2', '--data-dir', dataDir])).err).toMatch(/at least 8/);
  });
});
