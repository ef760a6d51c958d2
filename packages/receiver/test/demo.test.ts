import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeEvent } from './helpers.js';

// Runs the real `npm start` script (scripts/demo.mjs) against the built receiver (npm test builds first).
const DEMO = new URL('../../../scripts/demo.mjs', import.meta.url).pathname;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
});

function waitFor(proc: ChildProcess, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes(text)) resolve(out);
    });
    proc.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    proc.once('exit', (code) => reject(new Error(`demo exited with ${code}: ${out}`)));
  });
}

describe('scripts/demo.mjs', () => {
  it('serves the site and the receiver, takes the site’s events, and stops cleanly on SIGTERM', async () => {
    const [sitePort, receiverPort] = [await freePort(), await freePort()];
    child = spawn(process.execPath, [DEMO, '--memory', '--no-build'], {
      env: { ...process.env, PORT_SITE: String(sitePort), PORT_RECEIVER: String(receiverPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = await waitFor(child, 'Press Ctrl+C to stop.');
    const site = `http://127.0.0.1:${sitePort}`;
    const receiver = `http://127.0.0.1:${receiverPort}`;
    expect(out).toContain(`site       ${site}/`);
    expect(out).toContain(`live page  ${receiver}/`);
    const page = await (await fetch(`${site}/`)).text();
    expect(page).toContain(`data-endpoint="${receiver}"`);
    const event = makeEvent({ url: `${site}/`, path: '/' });
    const answer = await fetch(`${receiver}/v1/batch?key=pk_demo`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: site },
      body: JSON.stringify({ events: [event] }),
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe(site);
    const stored = (await (await fetch(`${receiver}/_trailmark/events`)).json()) as { events: unknown[] };
    expect(stored.events).toEqual([event]);
    const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 20_000);

  it('with --backend d1 runs no receiver, says where the data is and that enrichment is a sample, and stops quietly on Ctrl+C', async () => {
    const [sitePort, d1Port] = [await freePort(), await freePort()];
    const data = mkdtempSync(join(tmpdir(), 'trailmark-demo-'));
    try {
      child = spawn(process.execPath, [DEMO, '--backend', 'd1', '--no-build'], {
        env: { ...process.env, PORT_SITE: String(sitePort), PORT_D1: String(d1Port), TM_DEMO_DATA: data },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const out = await waitFor(child, 'Press Ctrl+C to stop.');
      const worker = `http://127.0.0.1:${d1Port}`;
      expect(out).not.toContain('live page');
      expect(out).toContain(`curl -H 'Authorization: Bearer sk_demo' ${worker}/api/visitors`);
      expect(out).toContain('(sample)');
      expect(out).toContain(`Data stays in ${data}/demo-d1`);
      const index = (await (await fetch(`${worker}/`)).json()) as { routes: Record<string, string> };
      expect(Object.keys(index.routes)).toContain('POST /track/batch');
      const page = await (await fetch(`http://127.0.0.1:${sitePort}/`)).text();
      expect(page).toContain(`data-endpoint="${worker}"`);
      let stdout = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));
      // Ctrl+C: SIGINT, which Miniflare would otherwise answer by exiting at once (and workerd by complaining).
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stdout).toContain('stopped');
      expect(stderr).toBe('');
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  }, 60_000);
  // The data of the Postgres backend with DATABASE_URL is in that database (a schema of the demo's own), not in a folder.
  it.skipIf(!process.env.DATABASE_URL)(
    'with --backend postgres and DATABASE_URL says the data is in that database and --reset drops the demo’s schema',
    async () => {
      const [sitePort, pgPort] = [await freePort(), await freePort()];
      const data = mkdtempSync(join(tmpdir(), 'trailmark-demo-'));
      try {
        child = spawn(process.execPath, [DEMO, '--backend=postgres', '--reset', '--no-build'], {
          env: { ...process.env, PORT_SITE: String(sitePort), PORT_POSTGRES: String(pgPort), TM_DEMO_DATA: data },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const out = await waitFor(child, 'Press Ctrl+C to stop.');
        const where = new URL(process.env.DATABASE_URL as string);
        const database = `${where.host}${where.pathname}`;
        expect(out).toContain(`reset      schema trailmark_demo dropped in ${database}\n`);
        expect(out).toContain(`data in PostgreSQL at ${database}, schema trailmark_demo`);
        expect(out).toContain(`Data stays in PostgreSQL at ${database}, schema trailmark_demo; --reset starts afresh.`);
        expect(out).not.toContain('demo-pg');
        const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
      } finally {
        rmSync(data, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
