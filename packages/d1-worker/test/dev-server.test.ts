import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBundle } from '../scripts/local.mjs';
import { eventId } from './helpers.js';

const DEV = fileURLToPath(new URL('../scripts/dev.mjs', import.meta.url));
const PACKAGE = fileURLToPath(new URL('../', import.meta.url));
const WRANGLER = fileURLToPath(new URL('../../../node_modules/wrangler/bin/wrangler.js', import.meta.url));
const data = mkdtempSync(join(tmpdir(), 'tm-d1-dev-'));
afterAll(() => rmSync(data, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Starts `npm run dev`'s script and resolves once it prints its address. */
async function startDev(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [DEV], { env: { ...process.env, PORT: String(port), TM_D1_DATA: data }, stdio: 'pipe' });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dev server did not start: ${output}`)), 30_000);
    child.stdout?.on('data', (chunk) => {
      output += String(chunk);
      if (output.includes(`http://127.0.0.1:${port}/`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
    child.once('exit', (code) => reject(new Error(`dev server exited with ${code}: ${output}`)));
  });
  return child;
}

/** Stops the server; Miniflare's own exit hook may end the process first, with 128 + SIGTERM. */
async function stop(child: ChildProcess, port: number): Promise<void> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  expect([0, 143]).toContain(await exited);
  await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
}

describe('scripts/dev.mjs', () => {
  it('serves the demo keys on 127.0.0.1 and keeps its D1 data across restarts', async () => {
    await ensureBundle();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let dev = await startDev(port);
    const id = eventId();
    const sent = await fetch(`${base}/track/batch?key=pk_demo`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: 'http://127.0.0.1:8080' },
      body: JSON.stringify({
        events: [
          {
            event_id: id,
            type: 'pageview',
            ts: Date.now(),
            site_id: 'demo',
            visitor_id: 'dev-v',
            session_id: 's',
            seq: 1,
            url: 'http://127.0.0.1:8080/',
            path: '/',
          },
        ],
      }),
    });
    expect(sent.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8080');
    expect(await sent.json()).toMatchObject({ ok: true, accepted: [id] });
    await stop(dev, port);

    dev = await startDev(port);
    try {
      const read = await fetch(`${base}/api/visitors?q=dev-v`, { headers: { authorization: 'Bearer sk_demo' } });
      const body = (await read.json()) as { visitors: { visitor_id: string; page_views: number }[] };
      expect(body.visitors).toEqual([expect.objectContaining({ visitor_id: 'dev-v', page_views: 1 })]);
    } finally {
      await stop(dev, port);
    }
    // The documented way to inspect it: wrangler finds the database the dev server keeps (same id, same layout).
    const inspected = await wranglerQuery(data, "SELECT visitor_id, page_views FROM visitors WHERE visitor_id = 'dev-v'");
    expect(inspected).toEqual([{ visitor_id: 'dev-v', page_views: 1 }]);
  }, 90_000);
});

/** `npx wrangler d1 execute trailmark --local --persist-to <data> --json`, run from the package as documented. */
async function wranglerQuery(data: string, sql: string): Promise<unknown[]> {
  const child = spawn(
    process.execPath,
    [WRANGLER, 'd1', 'execute', 'trailmark', '--local', '--persist-to', data, '--json', '--command', sql],
    { cwd: PACKAGE, env: { ...process.env, WRANGLER_SEND_METRICS: 'false' }, stdio: 'pipe' },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code, output).toBe(0);
  const json = JSON.parse(output.slice(output.indexOf('['))) as Array<{ results: unknown[] }>;
  return json[0]?.results ?? [];
}
