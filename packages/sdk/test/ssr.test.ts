// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { beaconTransport, cookieStorage, createTracker, fetchTransport } from '../src/index.js';

describe('outside a browser (Node, server rendering)', () => {
  it('creates a tracker that does nothing and never throws, with the transports and cookie storage', async () => {
    expect(typeof window).toBe('undefined');
    const storage = cookieStorage('example.com');
    storage.set('k', 'v');
    expect(storage.get('k')).toBeNull();
    const tracker = createTracker({
      siteId: 's',
      transport: beaconTransport({ url: '/e' }),
      persistence: storage,
      plugins: [{ name: 'p', setup: () => undefined }],
    });
    tracker.track('pageview', { a: 1 });
    tracker.identify('alice');
    tracker.register({ app: '1' });
    tracker.unregister('app');
    tracker.consent('granted');
    tracker.reset();
    tracker.onEvent(() => undefined)();
    tracker.use({ name: 'q', setup: () => undefined })();
    await tracker.flush();
    await tracker.shutdown();
    expect(tracker.dropped()).toEqual({});
    expect([tracker.siteId, tracker.visitorId, tracker.sessionId]).toEqual(['s', '', '']);
    expect(() => createTracker({ siteId: 's', transport: fetchTransport({ url: '/e' }) })).not.toThrow();
  });
});
