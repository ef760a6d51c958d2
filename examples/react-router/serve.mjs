// `npm start -w examples/react-router`: serves the built app on 127.0.0.1:PORT_SITE (8080) under /react/, its events
// going to the demo's reference receiver (PORT_RECEIVER, 8787; site demo, key pk_demo), which runs beside it:
// `node scripts/demo.mjs --receiver-only` at the repository root. Builds the app first when its sources changed.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { busyPort } from '../../scripts/demo-checks.mjs';
import { portOf } from '../../scripts/demo-options.mjs';
import { buildStale } from '../../scripts/stale-build.mjs';

const dir = import.meta.dirname;

/** The app's page with its endpoint, site and Content-Security-Policy pointed at `receiver`. */
export function appPage(receiver) {
  return readFileSync(resolve(dir, 'index.html'), 'utf8')
    .replace('content="/collect"', `content="${receiver}/v1/batch?key=pk_demo"`)
    .replace('<meta name="trailmark-site" content="react-example" />', '<meta name="trailmark-site" content="demo" />')
    .replace("connect-src 'self'", `connect-src 'self' ${new URL(receiver).origin}`);
}

/** Starts the server: `/react/app.js` is the bundle, every other path under /react/ the page (the router's routes). */
export async function serveApp({ port, receiver }) {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/' || path === '/react') {
      response.writeHead(302, { location: '/react/' }).end();
    } else if (path === '/react/app.js' && !existsSync(resolve(dir, 'dist/app.js'))) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not built yet: run `npm run build`\n');
    } else if (path === '/react/app.js') {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
      response.end(readFileSync(resolve(dir, 'dist/app.js')));
    } else if (path.startsWith('/react/')) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      response.end(appPage(receiver));
    } else response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`not found: ${path}\n`);
  });
  await new Promise((done, fail) => server.once('error', fail).listen(port, '127.0.0.1', () => done(undefined)));
  const { port: actual } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return { url: `http://127.0.0.1:${actual}`, close: () => new Promise((done) => server.close(done)) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const site = portOf(process.env, 'PORT_SITE', 8080);
  const receiverPort = portOf(process.env, 'PORT_RECEIVER', 8787);
  const problem =
    site.error ?? receiverPort.error ?? (await busyPort(site.port).then((busy) => busy && `port ${site.port} (PORT_SITE) ${busy}`));
  if (problem) {
    console.error(`react-router example: ${problem}`);
    process.exit(1);
  }
  if (!process.argv.includes('--no-build')) buildStale();
  const receiver = `http://127.0.0.1:${receiverPort.port}`;
  const { url } = await serveApp({ port: site.port, receiver });
  console.log(`app        ${url}/react/  (events to ${receiver}, site demo, key pk_demo)`);
  console.log(`receiver   run it beside: node scripts/demo.mjs --receiver-only   (live page ${receiver}/)`);
  console.log('Press Ctrl+C to stop.');
}
