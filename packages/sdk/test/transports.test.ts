import { describe, expect, it, vi } from 'vitest';
import { d1Worker, fetchTransport, type Payload, postgresIngest, referenceReceiver } from '../src/index.js';

const payload = (bytes: number): Payload => ({ body: 'x'.repeat(bytes), bytes, count: 1, events: () => [] });

/** A fake fetch at the network edge that fails loudly on anything but a POST. */
function fakeFetch(status = 200, body = '{"ok":true,"accepted":[],"duplicates":[],"rejected":[]}', headers: Record<string, string> = {}) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const fn = vi.fn(async (url: string, init: RequestInit) => {
    if (init.method !== 'POST') throw new Error(`unexpected ${init.method}`);
    calls.push({ url, init });
    await gate;
    return new Response(body, { status, headers });
  });
  return { fetch: fn as unknown as typeof fetch, calls, release };
}

describe('fetchTransport', () => {
  it('sends a CORS-simple text/plain POST with keepalive while within the budget', async () => {
    const net = fakeFetch();
    net.release();
    const transport = fetchTransport({ url: 'https://c.test/e', fetch: net.fetch });
    await expect(transport.send(payload(100), { unloading: false })).resolves.toEqual({ status: 'ok' });
    expect(net.calls[0]!.init).toMatchObject({ keepalive: true, credentials: 'omit', headers: { 'content-type': 'text/plain' } });
  });

  it('shares one keepalive budget between requests in flight, and at unload uses sendBeacon beyond it', async () => {
    const net = fakeFetch();
    const beacon = vi.fn(() => true);
    const transport = fetchTransport({ url: 'https://c.test/e', fetch: net.fetch, sendBeacon: beacon, keepaliveBudget: 1000 });
    const first = transport.send(payload(800), { unloading: false });
    const second = transport.send(payload(800), { unloading: false });
    await Promise.resolve();
    expect(net.calls.map((c) => c.init.keepalive)).toEqual([true, false]);
    await expect(transport.send(payload(800), { unloading: true })).resolves.toEqual({ status: 'unknown' });
    expect(beacon).toHaveBeenCalledOnce();
    net.release();
    await Promise.all([first, second]);
    const after = transport.send(payload(800), { unloading: false });
    expect(net.calls.at(-1)!.init.keepalive).toBe(true);
    await after;
  });

  it('maps statuses through the retry table and a network failure to retry', async () => {
    const busy = fakeFetch(429, '{"ok":false}', { 'retry-after': '3' });
    busy.release();
    await expect(fetchTransport({ url: 'u', fetch: busy.fetch }).send(payload(1), { unloading: false })).resolves.toMatchObject({
      status: 'retry',
      afterMs: 3000,
    });
    const offline = fetchTransport({
      url: 'u',
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    // No answer: the server may have it (Chromium rejects a keepalive fetch it still delivers as a page unloads).
    await expect(offline.send(payload(1), { unloading: false })).resolves.toMatchObject({ status: 'retry', unanswered: true });
  });
});

describe('backend adapters', () => {
  it.each([
    [referenceReceiver, 'https://r.test/v1/batch?key=pk%20x'],
    [postgresIngest, 'https://r.test/v1/batch?key=pk%20x'],
    [d1Worker, 'https://r.test/track/batch?key=pk%20x'],
  ])('%o posts to its endpoint with the write key in the query', async (adapter, expected) => {
    const net = fakeFetch();
    net.release();
    await adapter({ endpoint: 'https://r.test/', key: 'pk x', fetch: net.fetch }).send(payload(1), { unloading: false });
    expect(net.calls[0]!.url).toBe(expected);
  });
});
