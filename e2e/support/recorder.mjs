// A bare recording receiver for the SDK's own browser tests: it serves test pages and the SDK bundle,
// records every batch it is sent (the oracle), and answers as the test tells it to (ok, 500, 429, 413, slow).
import { createReadStream, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const files = {
  '/sdk.js': join(root, 'e2e/.build/sdk.js'),
  '/vitals-attribution.js': join(root, 'e2e/.build/vitals-attribution.js'),
  '/trailmark.min.js': join(root, 'packages/sdk/dist/trailmark.min.js'),
  '/trailmark.js': join(root, 'packages/sdk/dist/trailmark.js'),
  // What the script tag fetches after the page's `load`, from beside itself.
  '/trailmark-later.min.js': join(root, 'packages/sdk/dist/trailmark-later.min.js'),
  '/trailmark-later.js': join(root, 'packages/sdk/dist/trailmark-later.js'),
  '/react/app.js': join(root, 'examples/react-router/dist/app.js'),
};
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css' };

/** Starts the recorder on 127.0.0.1; returns its URL and a close function. */
export function startRecorder(port = 0) {
  let requests = [];
  let script = [];
  let delayMs = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type' };
    const json = (status, body, headers = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...cors, ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'OPTIONS') return json(204, {});
    if (req.method === 'POST' && url.pathname === '/collect') {
      const chunks = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const answer = script.shift() ?? { status: 200 };
        let events = [];
        try {
          events = JSON.parse(text).events ?? [];
        } catch {
          return json(400, { ok: false, code: 'malformed_json', error: 'not JSON' });
        }
        requests.push({
          at: Date.now(),
          status: answer.status,
          body: text,
          ids: events.map((e) => e.event_id),
          events,
          keepalive: req.headers['sec-fetch-mode'],
        });
        setTimeout(() => {
          if (answer.status === 200) return json(200, { ok: true, accepted: events.map((e) => e.event_id), duplicates: [], rejected: [] });
          json(
            answer.status,
            { ok: false, code: 'test', error: `scripted ${answer.status}` },
            answer.retryAfter ? { 'retry-after': String(answer.retryAfter) } : {},
          );
        }, delayMs);
      });
      return;
    }
    if (url.pathname === '/_requests') return json(200, requests);
    if (req.method === 'POST' && url.pathname === '/_control') {
      const chunks = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', () => {
        const control = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        if (control.reset) requests = [];
        if (control.script) script = control.script;
        if (control.delayMs !== undefined) delayMs = control.delayMs;
        json(200, { ok: true });
      });
      return;
    }
    // The browser asks for it on a new origin; a 404 there is a console error the first test on the origin would see.
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204, { 'cache-control': 'max-age=3600' });
      return res.end();
    }
    // examples/react-router: every route of the app is its one page (history routing under /react/).
    const app = url.pathname.startsWith('/react/') && join(root, 'examples/react-router/index.html');
    const file = files[url.pathname] ?? (app || join(root, 'e2e/pages', url.pathname.replace(/^\/pages\//, '/').replace(/\.\./g, '')));
    if (!file.startsWith(root) || !existsSync(file)) return json(404, { ok: false, code: 'not_found', error: url.pathname });
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolvePromise) => {
    server.listen(port, '127.0.0.1', () => {
      const { port: actual } = server.address();
      resolvePromise({ url: `http://127.0.0.1:${actual}`, close: () => new Promise((done) => server.close(done)) });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { url } = await startRecorder(Number(process.env.PORT ?? 4310));
  console.log(`recorder listening on ${url}`);
}
