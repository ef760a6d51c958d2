import { beforeEach, describe, expect, it, vi } from 'vitest';
import { initialConsent } from '../src/consent.js';
import { createTracker, indexedDbQueue } from '../src/index.js';
import { recordingTransport } from './helpers.js';
import 'fake-indexeddb/auto';

beforeEach(() => {
  localStorage.clear();
});

describe('initialConsent', () => {
  it.each([
    [{}, {}, 'granted', false],
    [{ consent: 'pending' }, {}, 'pending', false],
    [{}, { globalPrivacyControl: true }, 'denied', true],
    [{ respectGPC: false }, { globalPrivacyControl: true }, 'granted', false],
    [{}, { doNotTrack: '1' }, 'granted', false],
    [{ respectDNT: true }, { doNotTrack: '1' }, 'denied', true],
  ] as const)('%o with %o → %s', (options, nav, state, locked) => {
    expect(initialConsent(options, nav as unknown as Navigator)).toEqual({ state, locked });
  });
});

describe('the privacy gate', () => {
  it('while pending, sends nothing and writes nothing; granted sends everything buffered', async () => {
    const { transport, sent } = recordingTransport();
    const setItem = vi.spyOn(Storage.prototype, 'setItem');
    const tracker = createTracker({ siteId: 's', transport, consent: 'pending', queue: indexedDbQueue({ dbName: 'consent-pending' }) });
    tracker.track('a');
    tracker.track('b');
    await tracker.flush();
    expect(sent).toHaveLength(0);
    expect(setItem).not.toHaveBeenCalled();
    expect(await indexedDB.databases()).not.toContainEqual(expect.objectContaining({ name: 'consent-pending' }));
    tracker.consent('granted');
    await tracker.flush();
    expect(sent.flatMap((s) => s.events.map((e) => e.type))).toEqual(['a', 'b']);
    expect(localStorage.getItem('tm_vid')).toBe(tracker.visitorId);
    setItem.mockRestore();
  });

  it('denied drops what was buffered, clears stored ids and counts the drops', async () => {
    const { transport, sent } = recordingTransport();
    const tracker = createTracker({ siteId: 's', transport, consent: 'pending' });
    tracker.track('a');
    tracker.consent('denied');
    tracker.track('b');
    await tracker.flush();
    expect(sent).toHaveLength(0);
    expect(tracker.dropped()).toEqual({ consent_denied: 2 });
    expect(localStorage.getItem('tm_vid')).toBeNull();
  });

  it('a Global Privacy Control signal cannot be overridden by consent("granted")', async () => {
    const { transport, sent } = recordingTransport();
    Object.defineProperty(navigator, 'globalPrivacyControl', { value: true, configurable: true });
    try {
      const tracker = createTracker({ siteId: 's', transport });
      tracker.consent('granted');
      tracker.track('a');
      await tracker.flush();
      expect(sent).toHaveLength(0);
    } finally {
      Object.defineProperty(navigator, 'globalPrivacyControl', { value: undefined, configurable: true });
    }
  });
});

describe('consent set back or denied from the start', () => {
  it('going from granted back to pending writes nothing more to storage and sends nothing', async () => {
    // Only the clock is faked (before the tracker reads it): sends still run on real timers.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const { transport, sent } = recordingTransport();
      const tracker = createTracker({ siteId: 's', transport });
      tracker.track('a');
      await tracker.flush();
      const stored = localStorage.getItem('tm_ses');
      tracker.consent('pending');
      // Long enough apart for the session to be saved again if it could be (it is every 5 s of activity).
      vi.setSystemTime(Date.now() + 60_000);
      tracker.track('b');
      vi.setSystemTime(Date.now() + 60_000);
      tracker.track('c');
      await tracker.flush();
      expect(localStorage.getItem('tm_ses')).toBe(stored);
      expect(sent).toHaveLength(1);
      tracker.consent('granted');
      await tracker.flush();
      expect(sent.flatMap((s) => s.events.map((e) => e.type))).toEqual(['a', 'b', 'c']);
      expect(localStorage.getItem('tm_ses')).not.toBe(stored);
    } finally {
      vi.useRealTimers();
    }
  });

  it('denied from the start (GPC) removes the ids and queued events an earlier, consenting visit left', async () => {
    const earlier = createTracker({
      siteId: 's',
      transport: { send: async () => ({ status: 'retry' }) },
      queue: indexedDbQueue({ dbName: 'consent-earlier' }),
    });
    earlier.track('a');
    await earlier.flush();
    await earlier.shutdown();
    expect(localStorage.getItem('tm_vid')).not.toBeNull();
    Object.defineProperty(navigator, 'globalPrivacyControl', { value: true, configurable: true });
    try {
      const { transport, sent } = recordingTransport();
      const tracker = createTracker({ siteId: 's', transport, queue: indexedDbQueue({ dbName: 'consent-earlier' }) });
      await tracker.flush();
      await vi.waitFor(async () => {
        const records = await new Promise<number>((done) => {
          const open = indexedDB.open('consent-earlier');
          open.onsuccess = () => {
            const count = open.result.transaction('queue').objectStore('queue').count();
            count.onsuccess = () => done(count.result);
          };
        });
        expect(records).toBe(0);
      });
      expect(localStorage.getItem('tm_vid')).toBeNull();
      expect(localStorage.getItem('tm_ses')).toBeNull();
      expect(sent).toHaveLength(0);
      expect(tracker.dropped()).toEqual({});
    } finally {
      Object.defineProperty(navigator, 'globalPrivacyControl', { value: undefined, configurable: true });
    }
  });
});

describe('holding events while consent is pending', () => {
  it('is bounded by the queue cap, dropping the oldest and counting them', async () => {
    const { transport, sent } = recordingTransport();
    const tracker = createTracker({ siteId: 's', transport, consent: 'pending', maxQueueEvents: 3 });
    for (let i = 0; i < 5; i++) tracker.track('e', { i });
    tracker.consent('granted');
    await tracker.flush();
    expect(sent.flatMap((s) => s.events.map((e) => e.props?.i))).toEqual([2, 3, 4]);
    expect(tracker.dropped()).toEqual({ queue_full: 2 });
  });
});
