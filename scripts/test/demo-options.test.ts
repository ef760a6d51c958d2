import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENT, OPTIONS, parseArgs, usage } from '../demo-options.mjs';
import { stalePackages } from '../stale-build.mjs';

const DEMO = new URL('../demo.mjs', import.meta.url).pathname;

describe('the demo’s command line (scripts/demo-options.mjs)', () => {
  it('takes --flag value and --flag=value alike, and names what it refuses', () => {
    expect(parseArgs(['--backend', 'postgres']).options?.backend).toBe('postgres');
    expect(parseArgs(['--backend=postgres', '--reset']).options).toMatchObject({ backend: 'postgres', reset: true });
    expect(parseArgs(['--backend=d1']).options?.backend).toBe('d1');
    expect(parseArgs(['--help']).options?.help).toBe(true);
    expect(parseArgs(['--no-build']).options?.build).toBe(false);
    expect(parseArgs([]).options).toMatchObject({ backend: 'reference', build: true, help: false });
    expect(parseArgs(['--backend']).error).toBe('--backend takes reference, postgres, d1, clickhouse (got nothing)');
    expect(parseArgs(['--backend=mysql']).error).toContain('(got mysql)');
    expect(parseArgs(['--verbose']).error).toMatch(/^unknown argument --verbose \(known: --backend, .*--help\)$/);
    expect(parseArgs(['--reset=yes']).error).toBe('--reset takes no value (got --reset=yes)');
    expect(parseArgs(['--site-only', '--receiver-only']).error).toContain('exclude each other');
  });

  it('lists every option and environment variable in its usage text', () => {
    const text = usage();
    for (const { flag } of OPTIONS) expect(text).toContain(flag);
    for (const name of ['PORT_SITE', 'PORT_RECEIVER', 'PORT_POSTGRES', 'PORT_D1', 'DATABASE_URL', 'TM_DEMO_DATA'])
      expect(text).toContain(name);
    expect(ENVIRONMENT.map(({ name }) => name)).toContain('TM_DEMO_DATA');
  });

  it('prints the usage for --help at once and exits 0, building nothing', () => {
    const started = Date.now();
    const run = spawnSync(process.execPath, [DEMO, '--help'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`${usage()}\n`);
    expect(run.stderr).toBe('');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('names a busy port and the variable that moves it before printing anything else', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const run = spawnSync(process.execPath, [DEMO, '--memory', '--no-build'], {
        encoding: 'utf8',
        env: { ...process.env, PORT_SITE: String(port), PORT_RECEIVER: String(port) },
      });
      expect(run.status).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        `demo: port ${port} (PORT_SITE) is in use. Stop what uses it, or move the demo: PORT_SITE=${port + 1} npm start -- --memory --no-build\n`,
      );
    } finally {
      server.close();
    }
  });
});

describe('the demo’s build of what changed (scripts/stale-build.mjs)', () => {
  it('names a package stale when an output is missing or older than a source, and none once all are built', () => {
    const root = mkdtempSync(join(tmpdir(), 'trailmark-stale-'));
    try {
      const packages = {
        protocol: { inputs: ['protocol/src'], outputs: ['protocol/dist/index.js'] },
        sdk: { inputs: ['sdk/src', 'protocol/src'], outputs: ['sdk/dist/index.js', 'sdk/dist/min.js'] },
        absent: { inputs: ['absent/src'], outputs: ['absent/dist/index.js'] },
      };
      const file = (path: string, seconds: number) => {
        mkdirSync(join(root, path, '..'), { recursive: true });
        writeFileSync(join(root, path), 'x');
        utimesSync(join(root, path), seconds, seconds);
      };
      file('protocol/src/a.ts', 100);
      file('sdk/src/b.ts', 100);
      expect(stalePackages(root, packages)).toEqual(['protocol', 'sdk']);
      file('protocol/dist/index.js', 200);
      file('sdk/dist/index.js', 200);
      expect(stalePackages(root, packages)).toEqual(['sdk']);
      file('sdk/dist/min.js', 200);
      expect(stalePackages(root, packages)).toEqual([]);
      // A change to the protocol's source makes both packages that are built from it stale, and nothing else.
      file('protocol/src/a.ts', 300);
      expect(stalePackages(root, packages)).toEqual(['protocol', 'sdk']);
      file('protocol/dist/index.js', 400);
      file('rollup.config.mjs', 500);
      expect(stalePackages(root, packages)).toEqual(['protocol', 'sdk']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
