import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
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
    child = spawn(process.execPath, [DEMO, '--memory'], {
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
});
