import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The demo's static server lives in scripts/ (plain JS, shared with the e2e web server).
import { startStaticServer } from '../../../scripts/serve-static.mjs';

const ROOT = new URL('../../../examples/static-site/', import.meta.url).pathname;
const TAG =
  '<script async src="/trailmark.min.js" data-site="demo" data-endpoint="http://127.0.0.1:8787" data-transport="reference" data-key="pk_demo"';
const pages = readdirSync(ROOT).filter((name) => name.endsWith('.html'));

describe('examples/static-site', () => {
  // Every page has the script tag sending to the demo receiver with the demo key, once. A page may add data-*
  // settings of its own after those (consent.html starts with consent pending, links.html captures copies) and
  // load its own same-origin script files (consent.html's banner), but never carry inline script.
  it.each(pages)('%s embeds the script tag and has no inline script, style or handler', (name) => {
    const html = readFileSync(`${ROOT}${name}`, 'utf8');
    const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBe((html.match(/<script\b/g) ?? []).length);
    const tags = scripts.filter(([element]) => element.startsWith(TAG));
    expect(tags).toHaveLength(1);
    expect(tags[0]?.[0].slice(TAG.length)).toMatch(/^(?: data-[a-z-]+="[^"<>]*")*><\/script>$/);
    for (const [element] of scripts.filter(([element]) => !element.startsWith(TAG))) {
      expect(element).toMatch(/^<script src="\/[\w.-]+\.js"><\/script>$/);
    }
    expect(html).not.toMatch(/\sstyle=|<style|\son[a-z]+=|javascript:/i);
  });

  it('has the pages the e2e tests drive', () => {
    const all = pages.map((name) => readFileSync(`${ROOT}${name}`, 'utf8')).join('\n');
    expect(all).toMatch(/data-tm-event="booking_created" data-tm-plan="pro"/);
    expect(all).toMatch(/href="https:\/\/example\.com\/[^"]*"/);
    expect(all).toMatch(/href="\/files\/[^"]+\.pdf" download/);
    const contact = readFileSync(`${ROOT}contact.html`, 'utf8');
    for (const field of ['name="name"', 'type="email"', 'type="password"', 'autocomplete="cc-number"', '<textarea'])
      expect(contact).toContain(field);
    expect(readFileSync(`${ROOT}guide.html`, 'utf8').length).toBeGreaterThan(10_000);
  });
});

describe('scripts/serve-static.mjs', () => {
  let server: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    server = await startStaticServer({
      root: ROOT,
      port: 0,
      endpoint: 'http://127.0.0.1:9999',
      files: { '/trailmark.min.js': `${ROOT}site.css` },
    });
  });
  afterAll(() => server.close());

  it('serves pages under a strict CSP with the receiver endpoint rewritten', async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('content-security-policy')).toContain("connect-src 'self' http://127.0.0.1:9999");
    const html = await response.text();
    expect(html).toContain('data-endpoint="http://127.0.0.1:9999"');
    expect(html).toContain('<span data-tm-backend>the reference receiver: <a href="http://127.0.0.1:9999/">its live page</a></span>');
    expect((await fetch(`${server.url}/guide`)).status).toBe(200);
  });

  it('serves mapped files, refuses paths outside the root and answers a form post with 303', async () => {
    expect((await fetch(`${server.url}/trailmark.min.js`)).status).toBe(200);
    expect((await fetch(`${server.url}/%2e%2e%2f%2e%2e%2f%2e%2e%2fpackage.json`)).status).toBe(404);
    const posted = await fetch(`${server.url}/thanks.html`, { method: 'POST', body: 'password=secret', redirect: 'manual' });
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe('/thanks.html');
    const pdf = await fetch(`${server.url}/files/northwind-trail-map.pdf`);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(new TextDecoder().decode(await pdf.arrayBuffer()).startsWith('%PDF-')).toBe(true);
  });

  it('switches the pages to another backend adapter (the demo --backend flag)', async () => {
    const d1 = await startStaticServer({ root: ROOT, port: 0, endpoint: 'http://127.0.0.1:9998', transport: 'd1' });
    try {
      const response = await fetch(`${d1.url}/contact.html`);
      expect(response.headers.get('content-security-policy')).toContain("connect-src 'self' http://127.0.0.1:9998");
      const html = await response.text();
      expect(html).toContain('data-endpoint="http://127.0.0.1:9998" data-transport="d1"');
      expect(html).not.toContain('data-transport="reference"');
      // The footer names the backend the pages send to, and links the dashboard; no live page but the receiver's.
      expect(html).toContain('Its events go to <span data-tm-backend>the D1 Worker at http://127.0.0.1:9998</span>');
      expect(html).toContain('<a href="/dashboard/">the dashboard</a>');
      expect(html).not.toContain('reference receiver');
    } finally {
      await d1.close();
    }
  });
});
