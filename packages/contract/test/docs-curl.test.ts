import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureBundle, seedSite, startWorker } from '@trailmark/d1-worker/scripts/local.mjs';
import { startIngest } from '@trailmark/pg-ingest';
import { startReceiver } from '@trailmark/receiver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curlCommands, docCurlCommands } from '../src/doc-commands.js';

// Every `curl` in the docs, run as written against the backend its port names (8787 the reference receiver, 8790 the
// Postgres ingest server, 8788 the D1 Worker: the demo's ports, each here on a free one), with the demo's site and
// keys. A doc example that went stale (a fixed date now too old, a wrong path) fails here, named by file and line.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const DEMO = { id: 'demo', writeKey: 'pk_demo', readKey: 'sk_demo', origins: ['http://127.0.0.1:8080'] };
const commands = docCurlCommands(root);
const servers: Record<string, string> = {};
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  const receiver = await startReceiver({ port: 0, memory: true, sites: [DEMO], log: () => undefined });
  closers.push(() => receiver.close());
  servers['8787'] = receiver.url;
  const ingest = await startIngest({ port: 0, sites: [DEMO] });
  closers.push(() => ingest.close());
  servers['8790'] = ingest.url;
  if (commands.some(({ command }) => command.includes('127.0.0.1:8788'))) {
    await ensureBundle();
    const { mf, db, url } = await startWorker({});
    closers.push(() => mf.dispose());
    await seedSite(db, { site: DEMO.id, writeKey: DEMO.writeKey, secretKey: DEMO.readKey, website: DEMO.origins[0] as string });
    servers['8788'] = url.origin;
  }
}, 60_000);
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

describe('the docs’ curl commands', () => {
  it('finds the commands of ```sh blocks whole: continued lines, a quoted body over lines, a comment after', () => {
    const markdown =
      "text\n```sh\ncurl -s 'http://x/a' \\\n  -d '{\n  \"a\": 1 }'\n# → answer\n  curl http://x/b # note\necho curl no\n```\n";
    expect(curlCommands(markdown, 'f.md')).toEqual([
      { file: 'f.md', line: 3, command: "curl -s 'http://x/a' \\\n  -d '{\n  \"a\": 1 }'" },
      { file: 'f.md', line: 7, command: 'curl http://x/b' },
    ]);
  });

  const local = commands.filter(({ command }) => /http:\/\/127\.0\.0\.1:(8787|8788|8790)/.test(command));
  it('has examples against every running backend to run', () => {
    expect(local.length).toBeGreaterThanOrEqual(4);
  });

  for (const { file, line, command } of local) {
    it(`${file}:${line} answers 2xx with nothing rejected`, async () => {
      const rewritten = command.replace(/http:\/\/127\.0\.0\.1:(8787|8788|8790)/g, (_, port: string) => servers[port] as string);
      // Run beside the servers, which share this process: a synchronous spawn would stop them answering.
      const { stdout: out } = await promisify(execFile)('bash', ['-c', `${rewritten} -w '\\n%{http_code}'`], {
        encoding: 'utf8',
        timeout: 10_000,
      });
      const status = Number(out.slice(out.lastIndexOf('\n') + 1));
      const body = out.slice(0, out.lastIndexOf('\n'));
      expect(status, `${file}:${line} answered ${status}: ${body}`).toBeGreaterThanOrEqual(200);
      expect(status, `${file}:${line} answered ${status}: ${body}`).toBeLessThan(300);
      const parsed = JSON.parse(body) as { ok?: boolean; rejected?: unknown[] };
      expect(parsed.ok, body).not.toBe(false);
      expect(parsed.rejected ?? [], body).toEqual([]);
    });
  }
});
