import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { chdbAvailable, migrate, natsServerBinary, openChdbStore, openEventLog, serveStore, startNatsNode } from '../src/index.js';

const CLI = new URL('../bin/trailmark-clickhouse.mjs', import.meta.url).pathname;
const built = existsSync(new URL('../dist/cli.js', import.meta.url));
const SITE = { id: 'tier', writeKey: 'pk_tier_write_0123456789', readKey: 'sk_tier_read_0123456789', origins: [] };

// `ingest --workers 2`: two ingest processes behind one port (node:cluster), each publishing what it admits.
describe.skipIf(!built || !natsServerBinary() || !chdbAvailable())('ingest --workers', () => {
  let tier: ChildProcess | undefined;
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    tier?.kill('SIGKILL');
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('serves one port from N processes, every request answered 200 once the log has it, and stops on SIGTERM', async () => {
    const nats = await startNatsNode();
    cleanups.push(() => nats.close());
    const store = openChdbStore();
    cleanups.push(() => store.close());
    await migrate(store);
    const served = await serveStore(store);
    cleanups.push(() => served.close());
    // The stream the tier publishes to (TRAILMARK, on this test's own nats-server).
    const log = await openEventLog({ servers: [nats.url] });
    cleanups.push(() => log.close());
    const args = ['ingest', '--workers', '2', '--nats', nats.url, '--store-url', served.url, '--sites', JSON.stringify([SITE])];
    tier = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      tier?.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const ready = /ingest ready on (\S+) \(2 workers\)/.exec(out);
        if (ready?.[1]) resolve(ready[1]);
      });
      tier?.once('exit', (code) => reject(new Error(`the tier exited (${code}): ${out}`)));
      setTimeout(() => reject(new Error(`not ready within 60 s: ${out}`)), 60_000).unref();
    });
    const now = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 6 }, async (_, n) => {
        const events = [
          {
            event_id: randomUUID(),
            type: 'pageview',
            ts: now - 1000,
            site_id: SITE.id,
            visitor_id: `v${n}`,
            session_id: `s${n}`,
            seq: 1,
            url: 'https://tier.example/',
            path: '/',
          },
        ];
        const response = await fetch(`${url}/v1/batch?key=${SITE.writeKey}`, { method: 'POST', body: JSON.stringify({ v: 1, events }) });
        return { status: response.status, accepted: ((await response.json()) as { accepted: string[] }).accepted.length };
      }),
    );
    expect(answers).toEqual(Array.from({ length: 6 }, () => ({ status: 200, accepted: 1 })));
    const info = await log.jsm.streams.info(log.stream);
    expect(info.state.messages).toBe(6);
    const exited = new Promise<number | null>((resolve) => tier?.once('exit', (code) => resolve(code)));
    tier.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
