import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { makeEvent, tempDir } from './helpers.js';

// The installed command: bin/trailmark-receiver.mjs runs the built CLI (npm test builds first).
const BIN = new URL('../bin/trailmark-receiver.mjs', import.meta.url).pathname;
const BATCH = 100;
const LANES = 4;

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** Starts the real command on a data directory and resolves its URL once it listens. */
async function launch(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [BIN, '--port', '0', '--data-dir', dir, '--site', 'demo', '--write-key', 'pk_demo', '--read-key', 'sk_demo', '--rate-limit', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
  });
  return { child, url };
}

describe('crash safety', () => {
  it('keeps every acknowledged event and no half batch when the process is killed mid-ingest', async () => {
    const temp = tempDir();
    cleanups.push(temp.remove);
    const { child, url } = await launch(temp.dir);

    // Four lanes post 100-event batches back to back; the process is killed with SIGKILL (no shutdown code
    // runs) once 40 batches are acknowledged, with others still in flight.
    const sent: string[][] = [];
    const acknowledged = new Set<string>();
    let acked = 0;
    let killed = false;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const lane = async () => {
      while (!killed) {
        const events = Array.from({ length: BATCH }, (_, seq) => makeEvent({ seq, session_id: `s-${randomUUID()}` }));
        sent.push(events.map((event) => event.event_id));
        try {
          const response = await fetch(`${url}/v1/batch?key=pk_demo`, {
            method: 'POST',
            headers: { 'content-type': 'text/plain' },
            body: JSON.stringify({ events }),
          });
          const body = (await response.json()) as { accepted?: string[] };
          if (response.status !== 200) throw new Error(`answered ${response.status}`);
          for (const id of body.accepted ?? []) acknowledged.add(id);
          if (++acked >= 40 && !killed) {
            killed = true;
            child.kill('SIGKILL');
          }
        } catch (error) {
          // Only the requests the kill cut off may fail.
          if (!killed) throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: LANES }, lane));
    await exited;
    expect(acknowledged.size).toBeGreaterThanOrEqual(40 * BATCH);

    // The database as the killed process left it: intact, every acknowledged event in it, each batch whole or absent.
    const db = new Database(join(temp.dir, 'receiver.db'));
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const stored = new Set((db.prepare('SELECT event_id FROM events').pluck().all() as string[]).map(String));
      const missing = [...acknowledged].filter((id) => !stored.has(id));
      expect(missing).toEqual([]);
      for (const batch of sent) {
        const present = batch.filter((id) => stored.has(id)).length;
        expect([0, BATCH]).toContain(present);
      }
    } finally {
      db.close();
    }

    // A restart on the same directory serves the same events and still dedupes them.
    const again = await launch(temp.dir);
    const first = sent.find((batch) => batch.every((id) => acknowledged.has(id))) ?? [];
    expect(first).toHaveLength(BATCH);
    const resend = await fetch(`${again.url}/v1/batch?key=pk_demo`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ events: first.map((event_id, seq) => makeEvent({ event_id, seq })) }),
    });
    const answer = (await resend.json()) as { accepted: string[]; duplicates: string[] };
    expect(answer.duplicates.sort()).toEqual([...first].sort());
    expect(answer.accepted).toEqual([]);
  }, 60_000);
});
