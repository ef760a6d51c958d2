// The ad-blocker recipes of docs/script-tag.md, run as written: the nginx server block and the Cloudflare Worker are
// read from the doc's code blocks, so a recipe that stops working fails its test.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Miniflare } from 'miniflare';

const root = resolve(import.meta.dirname, '../..');
/** The built script the recipes serve under another name. */
export const SCRIPT = resolve(root, 'packages/sdk/dist/trailmark.min.js');
/** The script tag's second file, fetched by the first after `load` (docs/script-tag.md, "Two files"). */
export const LATER = resolve(root, 'packages/sdk/dist/trailmark-later.min.js');
/** The page of the recipes' site: the script under its new name, the collect path on the site's origin. */
export const PAGE_DIR = resolve(root, 'e2e/pages/own-origin');

/** The first code block of `lang` after `heading` in docs/script-tag.md, without the list's indentation. */
export function docRecipe(heading: string, lang: 'nginx' | 'js'): string {
  const doc = readFileSync(resolve(root, 'docs/script-tag.md'), 'utf8');
  const from = doc.indexOf(heading);
  const match = from < 0 ? null : new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\\n\\s*\`\`\``).exec(doc.slice(from));
  if (!match?.[1]) throw new Error(`docs/script-tag.md has no ${lang} block after ${heading}`);
  return match[1].replace(/^ {2}/gm, '');
}

/** The path of nginx (Debian's nginx-light), or undefined where it is not installed. */
export function nginxBinary(): string | undefined {
  return ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path));
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** A running recipe: the site's origin, and a way to stop it. */
export interface Recipe {
  url: string;
  close(): Promise<void>;
}

/**
 * nginx serving the page, with the doc's two `location` blocks: the script's path aliased to the built script and
 * the collect path proxied to `collect` (the doc's `http://127.0.0.1:8787/v1/batch` pointed at the test's receiver).
 */
export async function startNginxRecipe(nginx: string, collect: string): Promise<Recipe> {
  const dir = mkdtempSync(join(tmpdir(), 'tm-nginx-'));
  for (const temp of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, temp));
  const port = await freePort();
  const locations = docRecipe('**nginx**', 'nginx')
    .replace('/srv/trailmark/trailmark.min.js', SCRIPT)
    .replace('/srv/trailmark/trailmark-later.min.js', LATER)
    .replace('http://127.0.0.1:8787', collect.replace(/\/$/, ''));
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  types { text/html html; text/javascript js; }
  server {
    listen 127.0.0.1:${port};
    root ${PAGE_DIR};
${locations}
  }
}
`,
  );
  const child = spawn(nginx, ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    const answer = await fetch(`${url}/`).catch(() => undefined);
    if (answer?.ok) return { url, close };
    await new Promise((done) => setTimeout(done, 100));
  }
  const log = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '';
  await close();
  throw new Error(`nginx did not start: ${log}`);
}

/**
 * The doc's Worker in workerd (Miniflare), as the route on the site's zone. Its outbound requests go where the
 * zone's would: the collect host (`collect.example.com`) to `collect` (the D1 Worker) and its script to the built
 * one; anything else is the site's origin, served from the page's folder.
 */
export async function startWorkerRecipe(collect: () => string): Promise<Recipe> {
  const files = new Map([
    ['/trailmark.min.js', readFileSync(SCRIPT)],
    ['/trailmark-later.min.js', readFileSync(LATER)],
  ]);
  const mf = new Miniflare({
    modules: true,
    script: docRecipe('**A Cloudflare Worker route**', 'js'),
    compatibilityDate: '2026-04-01',
    host: '127.0.0.1',
    port: 0,
    async outboundService(request) {
      const url = new URL(request.url);
      if (url.hostname === 'collect.example.com') {
        const file = files.get(url.pathname);
        if (file) return new Response(file, { headers: { 'content-type': 'text/javascript' } });
        const headers = new Headers(request.headers);
        headers.delete('host');
        const body = request.method === 'GET' || request.method === 'HEAD' ? null : await request.arrayBuffer();
        const answer = await fetch(new URL(`${url.pathname}${url.search}`, collect()), { method: request.method, headers, body });
        // fetch() decoded the body already: its encoding and length headers no longer describe it.
        const back = new Headers(answer.headers);
        back.delete('content-encoding');
        back.delete('content-length');
        return new Response(await answer.arrayBuffer(), { status: answer.status, headers: back });
      }
      const file = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
      const path = resolve(PAGE_DIR, file);
      if (!path.startsWith(PAGE_DIR) || !existsSync(path)) return new Response('not found', { status: 404 });
      return new Response(readFileSync(path), { headers: { 'content-type': 'text/html; charset=utf-8' } });
    },
  });
  const url = (await mf.ready).origin;
  return { url, close: () => mf.dispose() };
}
