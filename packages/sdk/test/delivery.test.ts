import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTracker, memoryQueue, type Transport } from '../src/index.js';
import { recordingTransport, settle } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  localStorage.clear();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('request deadline', () => {
  it('aborts a request with no answer by its deadline, asks the server about it, and resends only what it lacks', async () => {
    const stored = new Set<string>();
    const signals: AbortSignal[] = [];
    const sent: string[][] = [];
    const checked: string[][] = [];
    let hang = true;
    const transport: Transport = {
      send(payload, { signal }) {
        const ids = payload.events().map((event) => event.event_id);
        sent.push(ids);
        signals.push(signal!);
        if (hang) {
          hang = false;
          // Taken and never answered; the server did store the first event of it.
          stored.add(ids[0]!);
          return new Promise(() => undefined);
        }
        for (const id of ids) stored.add(id);
        return Promise.resolve({ status: 'ok' });
      },
      async confirm(ids) {
        checked.push(ids);
        return ids.filter((id) => stored.has(id));
      },
    };
    const tracker = createTracker({ siteId: 's', transport, requestTimeout: 5000, flushInterval: 1000, random: () => 0 });
    tracker.track('a');
    tracker.track('b');
    void tracker.flush();
    await settle(1);
    expect(sent).toHaveLength(1);
    // More events while the request hangs: they wait for it no longer than its deadline.
    tracker.track('c');
    await settle(4000);
    expect(sent).toHaveLength(1);
    await settle(1000);
    expect(signals[0]!.aborted).toBe(true);
    await settle(3000);
    const [a, b] = sent[0]!;
    expect(checked).toEqual([[a, b]]);
    expect(sent.slice(1).flat()).toEqual([b, sent[1]!.at(-1)]);
    expect(sent.flat().filter((id) => id === a)).toHaveLength(1);
    expect(tracker.dropped()).toEqual({});
  });

  it('a custom transport that never settles holds the lock no longer than the deadline', async () => {
    const runs: number[] = [];
    let calls = 0;
    const transport: Transport = {
      send: () => (++calls === 1 ? new Promise(() => undefined) : Promise.resolve({ status: 'ok' })),
    };
    const store = { ...memoryQueue(), shared: true, load: async () => null };
    const lock = {
      held: false,
      async run<T>(fn: () => Promise<T>) {
        if (lock.held) return undefined;
        lock.held = true;
        runs.push(Date.now());
        try {
          return await fn();
        } finally {
          lock.held = false;
        }
      },
    };
    const tracker = createTracker({ siteId: 's', transport, queue: { ...store, lock: () => lock }, requestTimeout: 3000, random: () => 0 });
    tracker.track('a');
    void tracker.flush();
    await settle(1);
    expect(lock.held).toBe(true);
    await settle(3000);
    expect(lock.held).toBe(false);
    await settle(5000);
    expect(calls).toBe(2);
  });
});

describe('bursts and drops', () => {
  it('delivers a burst of 100,000 track() calls in one task whole, past the queue cap, with nothing dropped', async () => {
    const { transport, ids } = recordingTransport();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const errors: string[] = [];
    const tracker = createTracker({ siteId: 's', transport, maxQueueEvents: 1000, onError: (error) => errors.push(error.message) });
    for (let n = 0; n < 100_000; n++) tracker.track('tick', { n });
    for (let i = 0; i < 100 && ids().length < 100_000; i++) await settle(100);
    expect(errors).toEqual([]);
    expect(new Set(ids()).size).toBe(100_000);
    expect(ids()).toHaveLength(100_000);
    expect(tracker.dropped()).toEqual({});
    expect(warn).not.toHaveBeenCalled();
    // A hang guard over the loop's own 10 s of settling, not a speed claim: the default 5 s ran out at load 13.
  }, 30_000);

  it('says so once per reason in the console and to onError when it must drop (consent pending past the cap)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const errors: string[] = [];
    const tracker = createTracker({
      siteId: 's',
      transport: recordingTransport().transport,
      consent: 'pending',
      maxQueueEvents: 10,
      onError: (error, where) => errors.push(`${where}: ${error.message}`),
    });
    for (let n = 0; n < 15; n++) tracker.track('tick');
    tracker.track('9 bad');
    tracker.track('9 bad either');
    expect(tracker.dropped()).toEqual({ queue_full: 5, invalid: 2 });
    expect(warn.mock.calls).toEqual([
      ['[trailmark] events dropped:', 'queue_full'],
      ['[trailmark] events dropped:', 'invalid'],
    ]);
    expect(errors.filter((e) => e.startsWith('drop:'))).toEqual(['drop: events dropped: queue_full', 'drop: events dropped: invalid']);
  });

  it('drops a held burst, counted, when sending stops (offline) while it waits', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const online = vi.spyOn(navigator, 'onLine', 'get');
    online.mockReturnValue(true);
    const { transport, ids } = recordingTransport([{ status: 'retry', reason: 'offline' }]);
    const tracker = createTracker({ siteId: 's', transport, maxQueueEvents: 100, flushInterval: 1000, random: () => 0 });
    for (let n = 0; n < 300; n++) tracker.track('tick', { n });
    online.mockReturnValue(false);
    await settle(1);
    online.mockReturnValue(true);
    await settle(20_000);
    // The queue's 100 were kept (and sent once online); the 200 held past the cap while offline are counted.
    expect(new Set(ids()).size).toBe(100);
    expect(tracker.dropped()).toEqual({ queue_full: 200 });
  });
});

describe('page hide', () => {
  it("sends the plugins' page-hide events in the unload batch, also for plugins added after the tracker", async () => {
    const { transport, sent } = recordingTransport();
    const tracker = createTracker({ siteId: 's', transport, flushInterval: 60_000 });
    tracker.track('a');
    tracker.use({
      name: 'leave',
      setup: (t) => {
        const onHide = () => t.track('page_leave');
        window.addEventListener('pagehide', onHide);
        document.addEventListener('visibilitychange', () => t.track('page_visibility'));
        return () => window.removeEventListener('pagehide', onHide);
      },
    });
    // As a browser unloads a visible page: pagehide, then visibilitychange to hidden, in one task.
    window.dispatchEvent(new Event('pagehide'));
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
    await settle(0);
    delete (document as { visibilityState?: string }).visibilityState;
    expect(sent.map((s) => s.events.map((e) => e.type))).toEqual([['a', 'page_leave', 'page_visibility']]);
  });
});
