import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrailmarkEvent } from '@trailmark/protocol';
import { type RunningReceiver, type StartOptions, startReceiver } from '../src/index.js';

export const SITE = { id: 'demo', writeKey: 'pk_demo', readKey: 'sk_demo', origins: ['http://127.0.0.1:8080'] };
export const OTHER = { id: 'other', writeKey: 'pk_other', readKey: 'sk_other', origins: ['https://other.example'] };
export const ORIGIN = 'http://127.0.0.1:8080';

/** A valid native event of site `demo`, stamped now. */
export function makeEvent(overrides: Partial<TrailmarkEvent> = {}): TrailmarkEvent {
  return {
    event_id: randomUUID(),
    type: 'pageview',
    ts: Date.now(),
    site_id: 'demo',
    visitor_id: 'visitor-1',
    session_id: 'session-1',
    seq: 1,
    url: 'http://127.0.0.1:8080/',
    path: '/',
    ...overrides,
  };
}

/** A receiver on a free port (memory, dev mode, both sites, no rate limit unless given). */
export function start(options: Partial<StartOptions> = {}): Promise<RunningReceiver> {
  return startReceiver({
    port: 0,
    memory: true,
    dev: true,
    sites: [SITE, OTHER],
    rateLimit: { perSecond: 0, burst: 1 },
    retention: { intervalMs: 0 },
    log: () => undefined,
    ...options,
  });
}

/** POSTs a JSON body (already a string, or serialized) as text/plain with the demo write key. */
export function post(base: string, path: string, body: unknown, init: { key?: string | null; headers?: Record<string, string> } = {}) {
  const key = init.key === undefined ? 'pk_demo' : init.key;
  const url = `${base}${path}${key ? `?key=${encodeURIComponent(key)}` : ''}`;
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', ...init.headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? (body as string | Uint8Array<ArrayBuffer>) : JSON.stringify(body),
  });
}

/** GETs with the demo read key as a bearer token (or another key). */
export function read(base: string, path: string, key = 'sk_demo') {
  return fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` } });
}

/** A temporary directory removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tm-receiver-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
