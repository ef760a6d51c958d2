// A tiny static file server for the example sites (the demo and the e2e web server use it).
// Loopback only, GET/HEAD for files, and POST to an .html page answered with a 303 to that page,
// so the example contact form can submit without a backend. Nothing of a posted body is kept.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.pdf': 'application/pdf',
  '.txt': 'text/plain; charset=utf-8',
  '.sri': 'text/plain; charset=utf-8',
};

/**
 * The dashboard's files under `/dashboard/` (its page and stylesheet from packages/dashboard/public, its script
 * from the build), for the `files` option: served beside a site, its page's endpoint is rewritten like the site's.
 */
export function dashboardFiles(repo) {
  const dir = `${repo}packages/dashboard/`;
  return {
    '/dashboard/': `${dir}public/index.html`,
    '/dashboard/index.html': `${dir}public/index.html`,
    '/dashboard/dashboard.css': `${dir}public/dashboard.css`,
    '/dashboard/favicon.svg': `${dir}public/favicon.svg`,
    '/dashboard/dashboard.js': `${dir}dist/dashboard.js`,
  };
}

/**
 * The script tag's files from the SDK's build under `/` (`dist`: its dist folder, ending in `/`), for the `files`
 * option: each first file with the second it fetches after the page's `load`, from beside it.
 */
export function scriptTagFiles(dist) {
  const files = {};
  for (const name of ['trailmark', 'trailmark.min', 'trailmark-later', 'trailmark-later.min']) files[`/${name}.js`] = `${dist}${name}.js`;
  return files;
}

/** The endpoint written into the example pages' script tags. */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8787';

/**
 * Starts the server. Options: `root` (folder served), `port` (default 8080; 0 picks one), `files` (URL path →
 * absolute file, e.g. `/trailmark.min.js` from the SDK's dist), `endpoint` (the receiver URL: rewritten into
 * the pages' `data-endpoint` when it is not the default, and allowed by the CSP), `transport` (the script tag's
 * adapter: `reference` as the pages say, or `postgres` / `d1` for the other backends), `headScripts` (same-origin
 * script paths put first in every page's `<head>`, so they run before the page's own scripts: how the cross-engine
 * tests add their observer where a driver has no init scripts), `proxy` (URL path prefix → backend base URL: requests
 * under the prefix are forwarded there without it, so the collect path is the site's own: the ad-blocker recipe in
 * docs/script-tag.md). Every HTML page is served
 * under a strict Content-Security-Policy, which proves the site and the SDK need no inline script or style.
 * Resolves to `{ url, port, close() }`.
 */
export async function startStaticServer({
  root,
  port = 8080,
  files = {},
  endpoint = DEFAULT_ENDPOINT,
  transport = 'reference',
  headScripts = [],
  proxy = {},
} = {}) {
  if (!root) throw new Error('startStaticServer needs a root folder');
  const base = resolve(root);
  const receiverOrigin = new URL(endpoint).origin;
  const csp = `default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ${receiverOrigin}; img-src 'self' data:; form-action 'self'; base-uri 'none'`;

  const server = createServer((request, response) => {
    handle(request, response).catch((error) => {
      if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', `static server error: ${error.message}\n`);
      else response.destroy();
    });
  });

  async function handle(request, response) {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    let path;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      return send(response, 400, 'text/plain; charset=utf-8', 'bad path\n');
    }
    const prefix = Object.keys(proxy).find((start) => path.startsWith(start));
    if (prefix) return forward(request, response, new URL(`${path.slice(prefix.length)}${url.search}`, proxy[prefix]));
    if (request.method === 'POST') {
      request.resume();
      if (!path.endsWith('.html')) return send(response, 405, 'text/plain; charset=utf-8', 'POST only to .html pages\n');
      response.writeHead(303, { location: path, 'cache-control': 'no-store' });
      return response.end();
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return send(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD, POST' });
    }
    const file = files[path] ?? locate(base, path);
    if (!file || !existsSync(file) || !statSync(file).isFile()) {
      const hint = files[path] ? ` (${path} comes from ${files[path]}: run npm run build)` : '';
      return send(response, 404, 'text/plain; charset=utf-8', `not found: ${path}${hint}\n`);
    }
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    const headers = { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
    if (type.startsWith('text/html')) {
      let html = await readFile(file, 'utf8');
      if (endpoint !== DEFAULT_ENDPOINT) html = html.replaceAll(`data-endpoint="${DEFAULT_ENDPOINT}"`, `data-endpoint="${endpoint}"`);
      if (transport !== 'reference') html = html.replaceAll('data-transport="reference"', `data-transport="${transport}"`);
      html = html.replace(/<span data-tm-backend>[\s\S]*?<\/span>/, `<span data-tm-backend>${backendWords(transport, endpoint)}</span>`);
      if (headScripts.length) html = html.replace('<head>', `<head>${headScripts.map((src) => `<script src="${src}"></script>`).join('')}`);
      return send(response, 200, type, request.method === 'HEAD' ? '' : html, { ...headers, 'content-security-policy': csp });
    }
    response.writeHead(200, { ...headers, 'content-length': statSync(file).size });
    if (request.method === 'HEAD') return response.end();
    createReadStream(file).pipe(response);
  }

  await new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const actual = server.address().port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    close: () =>
      new Promise((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}

/** The footer's words for where the pages' events go: the reference receiver links its live page; the others have none. */
function backendWords(transport, endpoint) {
  if (transport === 'postgres') return `the Postgres ingest server at ${endpoint}`;
  if (transport === 'd1') return `the D1 Worker at ${endpoint}`;
  return `the reference receiver: <a href="${endpoint}/">its live page</a>`;
}

/** Forwards a request to `target`, streaming both ways; a backend that cannot be reached is a 502 with a JSON reason. */
function forward(request, response, target) {
  const upstream = httpRequest(target, { method: request.method, headers: { ...request.headers, host: target.host } }, (answer) => {
    response.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(response);
  });
  upstream.on('error', (error) => {
    if (response.headersSent) return response.destroy();
    send(response, 502, 'application/json', JSON.stringify({ ok: false, code: 'bad_gateway', error: error.message }));
  });
  request.pipe(upstream);
}

// `/guide` → guide.html, `/` → index.html; anything resolving outside the root is refused.
function locate(base, path) {
  const target = normalize(join(base, path));
  if (target !== base && !target.startsWith(base + sep)) return undefined;
  if (existsSync(target) && statSync(target).isDirectory()) return join(target, 'index.html');
  if (!extname(target) && existsSync(`${target}.html`)) return `${target}.html`;
  return target;
}

function send(response, status, type, body, headers = {}) {
  response.writeHead(status, { 'content-type': type, ...headers });
  response.end(body);
}
