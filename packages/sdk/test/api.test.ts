import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTracker, memoryQueue, type TrailmarkEvent } from '../src/index.js';
import { recordingTransport, useFakeClock } from './helpers.js';

useFakeClock();

const events = (sent: { events: TrailmarkEvent[] }[]) => sent.flatMap((s) => s.events);

describe('beforeSend', () => {
  it('sends the event it returns, changed, and what onEvent listeners see is that event', async () => {
    const { transport, sent } = recordingTransport();
    const seen: TrailmarkEvent[] = [];
    const tracker = createTracker({
      siteId: 's',
      transport,
      beforeSend: (event) => ({ ...event, url: event.url.replace(/token=\w+/, 'token=x'), props: { ...event.props, plan: 'pro' } }),
    });
    tracker.onEvent((event) => seen.push(event));
    history.replaceState(null, '', '/reset?token=secret');
    tracker.track('signup', { step: 2 });
    await tracker.flush();
    history.replaceState(null, '', '/');
    const [event] = events(sent);
    expect(event!.url).toMatch(/\/reset\?token=x$/);
    expect(event!.props).toEqual({ step: 2, plan: 'pro' });
    expect(seen[0]!.url).toBe(event!.url);
  });

  it('drops an event it returns null for, counted as before_send and warned once', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { transport, sent } = recordingTransport();
    const tracker = createTracker({ siteId: 's', transport, beforeSend: (event) => (event.type === 'noise' ? null : event) });
    tracker.track('noise');
    tracker.track('noise');
    tracker.track('signup');
    await tracker.flush();
    expect(events(sent).map((e) => e.type)).toEqual(['signup']);
    expect(tracker.dropped()).toEqual({ before_send: 2 });
    expect(warn.mock.calls.filter((call) => String(call[1]).startsWith('before_send'))).toHaveLength(1);
  });

  it('sends the event unchanged when beforeSend throws, and reports the error', async () => {
    const errors: string[] = [];
    const { transport, sent } = recordingTransport();
    const tracker = createTracker({
      siteId: 's',
      transport,
      onError: (_error, where) => errors.push(where),
      beforeSend: () => {
        throw new Error('bug in the host');
      },
    });
    tracker.track('signup');
    await tracker.flush();
    expect(events(sent).map((e) => e.type)).toEqual(['signup']);
    expect(errors).toContain('beforeSend');
  });
});

describe('reset', () => {
  it('gives later events a new visitor and session without user_id, and sends earlier ones under the old identity', async () => {
    const { transport, sent } = recordingTransport();
    const tracker = createTracker({ siteId: 's', transport, queue: memoryQueue() });
    tracker.identify('alice');
    tracker.track('a');
    const before = { visitor: tracker.visitorId, session: tracker.sessionId };
    tracker.reset();
    tracker.track('b');
    await tracker.flush();
    const [a, b] = events(sent);
    expect(a).toMatchObject({ type: 'a', user_id: 'alice', visitor_id: before.visitor, session_id: before.session });
    expect(b).toMatchObject({ type: 'b', split_reason: 'new' });
    expect(b!.user_id).toBeUndefined();
    expect(b!.visitor_id).not.toBe(before.visitor);
    expect(b!.session_id).not.toBe(before.session);
    expect(localStorage.getItem('tm_vid')).toBe(b!.visitor_id);
  });

  it('keeps the new identity after a reload: the old one is gone from storage', async () => {
    const { transport } = recordingTransport();
    const first = createTracker({ siteId: 's', transport });
    first.track('a');
    first.reset();
    first.track('b');
    const fresh = first.visitorId;
    await first.shutdown();
    const second = createTracker({ siteId: 's', transport });
    second.track('c');
    expect(second.visitorId).toBe(fresh);
  });
});

describe('register / unregister', () => {
  it('adds super properties to every later event, event props winning, and removes one on unregister', async () => {
    const { transport, sent } = recordingTransport();
    const tracker = createTracker({ siteId: 's', transport });
    tracker.track('before');
    tracker.register({ app: '2.1', plan: 'free' });
    tracker.track('a', { plan: 'pro' });
    tracker.unregister('plan');
    tracker.track('b');
    await tracker.flush();
    expect(events(sent).map((e) => e.props)).toEqual([undefined, { app: '2.1', plan: 'pro' }, { app: '2.1' }]);
  });

  it('persists them like the visitor id: across a reload, not while consent is pending, never after reset', async () => {
    const { transport, sent } = recordingTransport();
    const first = createTracker({ siteId: 's', transport, consent: 'pending' });
    first.register({ app: '2.1' });
    expect(localStorage.getItem('tm_props')).toBeNull();
    first.consent('granted');
    expect(JSON.parse(localStorage.getItem('tm_props')!)).toEqual({ app: '2.1' });
    await first.shutdown();
    const second = createTracker({ siteId: 's', transport });
    second.track('a');
    second.reset();
    second.track('b');
    await second.flush();
    expect(events(sent).map((e) => e.props)).toEqual([{ app: '2.1' }, undefined]);
    expect(localStorage.getItem('tm_props')).toBeNull();
  });

  it('refuses a register that breaks the props limits, with a report, and keeps what was registered', async () => {
    const errors: string[] = [];
    const { transport, sent } = recordingTransport();
    const tracker = createTracker({ siteId: 's', transport, onError: (error) => errors.push(error.message) });
    tracker.register({ app: '2.1' });
    tracker.register({ note: 'x'.repeat(2000) });
    tracker.track('a');
    await tracker.flush();
    expect(events(sent)[0]!.props).toEqual({ app: '2.1' });
    expect(errors).toContain('props strings must be at most 1024 characters');
  });

  it('forgets them when consent is denied', () => {
    const tracker = createTracker({ siteId: 's', transport: recordingTransport().transport });
    tracker.register({ app: '2.1' });
    tracker.consent('denied');
    expect(localStorage.getItem('tm_props')).toBeNull();
  });
});

describe('props checked against the protocol limits', () => {
  it.each([
    ['a string over 1024 characters', { s: 'x'.repeat(2000) }, 'props strings must be at most 1024 characters'],
    ['more than 50 keys', Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])), 'props hold at most 50 keys'],
    ['nesting deeper than 4', { a: { b: { c: { d: { e: 1 } } } } }, 'props nest at most 4 levels deep'],
    ['more than 8 KiB', Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'x'.repeat(1000)])), 'props must be at most'],
    ['a number that is not finite', { n: Number.NaN }, 'props numbers must be finite'],
  ])('refuses %s at the client, warned once per reason and reported, and sends the other events', async (_name, props, message) => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const errors: string[] = [];
    const { transport, sent } = recordingTransport();
    const tracker = createTracker({ siteId: 's', transport, onError: (error) => errors.push(error.message) });
    tracker.track('bad', props as never);
    tracker.track('bad', props as never);
    tracker.track('good', { ok: true });
    await tracker.flush();
    expect(events(sent).map((e) => e.type)).toEqual(['good']);
    expect(tracker.dropped()).toEqual({ invalid: 2 });
    const warnings = warn.mock.calls.map((call) => call.join(' '));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(message);
    expect(errors.some((text) => text.startsWith(message))).toBe(true);
  });

  it('checks the props beforeSend returns', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { transport, sent } = recordingTransport();
    const tracker = createTracker({ siteId: 's', transport, beforeSend: (event) => ({ ...event, props: { s: 'x'.repeat(2000) } }) });
    tracker.track('a');
    await tracker.flush();
    expect(sent).toHaveLength(0);
    expect(tracker.dropped()).toEqual({ invalid: 1 });
  });
});

describe('revenue', () => {
  it('sends a revenue of { amount, currency } as given', async () => {
    const { transport, sent } = recordingTransport();
    const tracker = createTracker({ siteId: 's', transport });
    tracker.track('purchase', { plan: 'pro', revenue: { amount: 49.9, currency: 'EUR' } });
    tracker.track('refund', { revenue: { amount: -10, currency: 'USD' } });
    await tracker.flush();
    expect(events(sent).map((e) => e.props)).toEqual([
      { plan: 'pro', revenue: { amount: 49.9, currency: 'EUR' } },
      { revenue: { amount: -10, currency: 'USD' } },
    ]);
    expect(tracker.dropped()).toEqual({});
  });

  it.each([
    ['an amount that is a string', { amount: '49.90', currency: 'EUR' }],
    ['an amount that is not finite', { amount: Number.POSITIVE_INFINITY, currency: 'EUR' }],
    ['an amount the servers refuse (10^12 or more)', { amount: -1e12, currency: 'EUR' }],
    ['a lower-case currency', { amount: 1, currency: 'eur' }],
    ['a currency of four letters', { amount: 1, currency: 'EURO' }],
    ['no currency', { amount: 1 }],
    ['an extra key', { amount: 1, currency: 'EUR', tax: 0.2 }],
    ['a number', 49.9],
    ['null', null],
  ])('drops %s from the event, sends the event, and warns once', async (_name, revenue) => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const errors: string[] = [];
    const { transport, sent } = recordingTransport();
    const tracker = createTracker({ siteId: 's', transport, onError: (error) => errors.push(error.message) });
    tracker.track('purchase', { plan: 'pro', revenue } as never);
    tracker.track('purchase', { revenue } as never);
    await tracker.flush();
    expect(events(sent).map((e) => e.props)).toEqual([{ plan: 'pro' }, {}]);
    expect(tracker.dropped()).toEqual({ invalid_revenue: 2 });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(errors.some((text) => text.includes('revenue must be { amount'))).toBe(true);
  });

  it('checks a revenue registered as a super property too', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { transport, sent } = recordingTransport();
    const tracker = createTracker({ siteId: 's', transport });
    tracker.register({ revenue: 'lots' });
    tracker.track('purchase');
    tracker.unregister('revenue');
    await tracker.flush();
    expect(events(sent).map((e) => e.props)).toEqual([{}]);
  });
});

describe('one tracker per site and page', () => {
  it('returns the running tracker for a second createTracker of the same site, so nothing is counted twice', async () => {
    const { transport, sent } = recordingTransport();
    const first = createTracker({ siteId: 's', transport });
    const second = createTracker({ siteId: 's', transport: recordingTransport().transport });
    expect(second).toBe(first);
    second.track('pageview');
    await first.flush();
    expect(events(sent)).toHaveLength(1);
    // Another site on the same page is its own tracker; after shutdown the site can start again.
    expect(createTracker({ siteId: 'other', transport })).not.toBe(first);
    await first.shutdown();
    expect(createTracker({ siteId: 's', transport })).not.toBe(first);
  });
});

describe('persistence: consent (cookieless until consent)', () => {
  it('sends events with ids held in memory, writes nothing until consent("granted"), then keeps the same ids', async () => {
    const { transport, sent } = recordingTransport();
    const tracker = createTracker({ siteId: 's', transport, persistence: 'consent' });
    tracker.register({ app: '2.1' });
    tracker.track('a');
    await tracker.flush();
    expect(events(sent)).toHaveLength(1);
    expect(localStorage.length).toBe(0);
    const visitor = tracker.visitorId;
    tracker.consent('granted');
    tracker.track('b');
    await tracker.flush();
    expect(localStorage.getItem('tm_vid')).toBe(visitor);
    expect(localStorage.getItem('tm_props')).toBe('{"app":"2.1"}');
    expect(events(sent).map((e) => e.visitor_id)).toEqual([visitor, visitor]);
  });
});

describe('first-touch UTM', () => {
  afterEach(() => history.replaceState(null, '', '/'));

  it('carries the campaign the session began with on all its events, across pages and reloads, until another one', async () => {
    const { transport, sent } = recordingTransport();
    const first = createTracker({ siteId: 's', transport });
    history.replaceState(null, '', '/landing?utm_source=news&utm_medium=email&utm_campaign=dec&utm_content=hero');
    first.track('pageview');
    history.replaceState(null, '', '/pricing');
    first.track('pageview');
    await first.shutdown();
    history.replaceState(null, '', '/signup');
    const second = createTracker({ siteId: 's', transport });
    second.track('pageview');
    history.replaceState(null, '', '/blog?utm_source=ads&utm_campaign=winter');
    second.track('pageview');
    history.replaceState(null, '', '/about');
    second.track('pageview');
    await second.flush();
    const got = events(sent).map((e) => [e.path, e.utm_source, e.utm_campaign, e.utm_content, e.split_reason]);
    expect(got).toEqual([
      ['/landing', 'news', 'dec', 'hero', 'new'],
      ['/pricing', 'news', 'dec', 'hero', undefined],
      ['/signup', 'news', 'dec', 'hero', undefined],
      ['/blog', 'ads', 'winter', undefined, 'campaign'],
      ['/about', 'ads', 'winter', undefined, undefined],
    ]);
    expect(
      new Set(
        events(sent)
          .slice(0, 3)
          .map((e) => e.session_id),
      ).size,
    ).toBe(1);
  });

  it('sends no UTM fields in a session that began without a campaign', async () => {
    const { transport, sent } = recordingTransport();
    const tracker = createTracker({ siteId: 's', transport });
    tracker.track('pageview');
    await tracker.flush();
    expect(Object.keys(events(sent)[0]!).filter((key) => key.startsWith('utm_'))).toEqual([]);
  });
});
