import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startFront } from '../scripts/front.mjs';

// The front's forwarding against a stand-in for workerd's socket (a fake only at that edge): what workerd did under
// bursts (dropped kept-alive sockets before answering) and what a Worker that is down looks like (nothing listening).
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function listen(server: Server): Promise<URL> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
}

async function front(workerd: URL, log: string[]) {
  const started = await startFront(workerd, { log: (line) => log.push(line) });
  closers.push(
    () =>
      new Promise((resolve) => {
        started.server.closeAllConnections();
        started.server.close(() => resolve());
      }),
  );
  return started.url;
}

/** A workerd stand-in that drops the socket of its first `drop` requests before answering, and answers the rest. */
function dropping(drop: number) {
  let seen = 0;
  const methods: string[] = [];
  const server = createServer((request, response) => {
    seen++;
    methods.push(request.method ?? '');
    if (seen <= drop) {
      request.socket.destroy();
      return;
    }
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ ok: true, seen }));
  });
  return { server, methods };
}

describe('the local front forwarding to workerd', () => {
  it('sends a read again once when workerd drops its socket before answering, and answers it', async () => {
    const workerd = dropping(1);
    const log: string[] = [];
    const url = await front(await listen(workerd.server), log);
    const answer = await fetch(`${url}/api/stats?from=1`);
    expect([answer.status, await answer.json()]).toEqual([200, { ok: true, seen: 2 }]);
    expect(workerd.methods).toEqual(['GET', 'GET']);
    expect(log).toEqual([]);
  });

  it('sends it once more only: dropped twice is a 503', async () => {
    const workerd = dropping(2);
    const log: string[] = [];
    const url = await front(await listen(workerd.server), log);
    expect((await fetch(`${url}/api/stats`)).status).toBe(503);
    expect(workerd.methods).toEqual(['GET', 'GET']);
    expect(log).toHaveLength(1);
  });

  it('does not send a POST twice on a fresh socket: a 503 with Retry-After, its cause logged', async () => {
    const workerd = dropping(1);
    const log: string[] = [];
    const url = await front(await listen(workerd.server), log);
    const answer = await fetch(`${url}/track/batch`, { method: 'POST', body: '{}' });
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('1');
    expect(await answer.json()).toMatchObject({ ok: false, code: 'unavailable' });
    expect(workerd.methods).toEqual(['POST']);
    expect(log.join('\n')).toMatch(/did not answer POST \/track\/batch: ECONNRESET/);
  });

  it('answers 503 with Retry-After when the Worker is down, and logs why', async () => {
    const gone = createServer();
    const address = await listen(gone);
    await closers.pop()?.();
    const log: string[] = [];
    const url = await front(address, log);
    const answer = await fetch(`${url}/health`);
    expect([answer.status, answer.headers.get('retry-after'), ((await answer.json()) as { code: string }).code]).toEqual([
      503,
      '1',
      'unavailable',
    ]);
    expect(log.join('\n')).toMatch(/did not answer GET \/health: ECONNREFUSED/);
  });

  it('answers methods the Worker does not serve with a JSON 405, without asking it', async () => {
    const workerd = dropping(0);
    const url = new URL(await front(await listen(workerd.server), []));
    for (const method of ['PROPFIND', 'M-SEARCH', 'TRACE']) {
      const answer = await rawStatus(url, `${method} /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(answer, method).toMatch(
        /^HTTP\/1\.1 405 [\s\S]*\r\nallow: GET, HEAD, POST, PATCH, OPTIONS\r\n[\s\S]*"code":"method_not_allowed"/i,
      );
    }
    expect(workerd.methods).toEqual([]);
  });
});

async function rawStatus(url: URL, request: string): Promise<string> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(request));
    let text = '';
    socket.on('data', (chunk) => {
      text += String(chunk);
    });
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(text));
  });
}
