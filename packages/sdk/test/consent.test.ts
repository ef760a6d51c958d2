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
