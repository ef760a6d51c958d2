import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestWorker, type TestWorker } from './helpers.js';

let worker: TestWorker;
/** What workerd prints: its own "Uncaught exception" line for each request it cannot parse, expected here. */
const printed: string[] = [];
beforeAll(async () => {
  worker = await startTestWorker({}, undefined, (text) => printed.push(text));
});
afterAll(async () => {
  await worker?.mf.dispose();
});

/** The status line and body of the first answer to a raw request (`null` when none came within 3 s). */
function raw(url: URL, request: string): Promise<{ status: number; body: string } | null> {
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let text = '';
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const match = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n[\s\S]*?\r\n\r\n([\s\S]*)$/.exec(text);
      resolve(match ? { status: Number(match[1]), body: match[2] ?? '' } : null);
    };
    const timer = setTimeout(finish, 3000);
    socket.on('data', (chunk) => {
      text += String(chunk);
    });
    socket.on('end', finish);
    socket.on('error', finish);
    socket.on('connect', () => socket.write(request));
  });
}

// Requests the review found answered 500/501 (or never) by the local Worker. They break HTTP before any Worker code
// runs: workerd's own HTTP server (or Miniflare's entry worker) refuses them, as `workerd`'s answers show below.
// Cloudflare's edge parses a deployed Worker's requests, so these answers are local only; the local front, the
// same Node server the other backends run on, answers each with a JSON 400 (or the request's own answer).
const CASES: Array<[string, string]> = [
  ['GET with Content-Length: 0', 'GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'],
  ['Content-Length: abc', 'POST /track/batch HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\nConnection: close\r\n\r\n{}'],
  ['Content-Length: -1', 'POST /track/batch HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\nConnection: close\r\n\r\n{}'],
  ['an absolute-URI target', 'GET http://evil.example/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
  ['a garbage Host', 'GET /health HTTP/1.1\r\nHost: %%%bad host%%\r\nConnection: close\r\n\r\n'],
  ['a lower-case method', 'post /track/batch HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}'],
  ['an unknown method', 'FROB /track/batch HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
];

describe('the local front (scripts/local.mjs)', () => {
  it.each(CASES)('%s: workerd itself answers 5xx, the front a 4xx JSON or the route', async (_name, request) => {
    const direct = await raw(worker.workerdUrl, request);
    // Not the Worker's answer: its errors are JSON (`{ ok: false, code, error }`), these are workerd's plain text.
    expect(direct?.status ?? 500).toBeGreaterThanOrEqual(500);
    expect(direct?.body ?? '').not.toMatch(/"ok":false/);
    const front = await raw(worker.url, request);
    expect(front?.status).toBeLessThan(500);
    if ((front?.status ?? 500) >= 400) expect(JSON.parse(front?.body ?? '')).toMatchObject({ ok: false, code: 'invalid_request' });
  });

  it('answers a 20-digit Content-Length at once (workerd waited for a body that never came)', async () => {
    const request = 'POST /track/batch HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n{}';
    expect(await raw(worker.workerdUrl, request)).toBeNull();
    expect((await raw(worker.url, request))?.status).toBe(400);
  });
});
