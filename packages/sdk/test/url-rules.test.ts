import { withoutUserinfo } from '@trailmark/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLICK_IDS, createTracker, type TrailmarkEvent, urlRules } from '../src/index.js';
import { inSample } from '../src/sampling.js';
import { recordingTransport } from './helpers.js';

const page = 'https://shop.test';

describe('urlRules', () => {
  it.each([
    ['/admin/**', '/admin/users/42', true],
    ['/admin/**', '/administrator', false],
    ['/*/preview', '/posts/preview', true],
    ['/*/preview', '/posts/a/preview', false],
    ['/checkout', '/checkout', true],
    ['/checkout', '/checkout/done', false],
    ['/a.b', '/axb', false],
  ])('excludes by glob %s: %s → %s', (pattern, path, excluded) => {
    expect(urlRules({ exclude: [pattern] })(`${page}${path}?q=1`) === undefined).toBe(excluded);
  });

  it('strips the click ids by default and leaves an untouched URL byte for byte', () => {
    const rules = urlRules();
    expect(rules(`${page}/?gclid=abc&q=a+b&fbclid=x`)).toBe(`${page}/?q=a+b`);
    expect(rules(`${page}/?q=a%20b&utm_source=news#top`)).toBe(`${page}/?q=a%20b&utm_source=news#top`);
    expect(CLICK_IDS).toContain('msclkid');
    expect(urlRules({ stripClickIds: false })(`${page}/?gclid=abc`)).toBe(`${page}/?gclid=abc`);
  });

  it('removes a denylist or keeps only an allowlist of query parameters', () => {
    expect(urlRules({ stripParams: ['token'] })(`${page}/r?token=s&id=1`)).toBe(`${page}/r?id=1`);
    expect(urlRules({ keepParams: ['q'] })(`${page}/s?q=shoes&session=9&utm_source=x`)).toBe(`${page}/s?q=shoes`);
  });
});

describe('withoutUserinfo', () => {
  it.each([
    ['https://user:secret@shop.test/p?q=1#h', 'https://shop.test/p?q=1#h'],
    ['http://only-user@shop.test/', 'http://shop.test/'],
    ['https://shop.test/a@b?x=a@b', 'https://shop.test/a@b?x=a@b'],
    ['https://shop.test/', 'https://shop.test/'],
  ])('%s → %s', (url, expected) => {
    expect(withoutUserinfo(url)).toBe(expected);
  });

  it('is applied to the url and the referrer events carry', async () => {
    const { transport, sent } = recordingTransport();
    const tracker = createTracker({ siteId: 's', transport });
    tracker.track('pageview', undefined, { url: 'https://jane:secret@shop.test/p', referrer: 'https://bob:pw@other.test/' });
    await tracker.flush();
    const [event] = sent.flatMap((s) => s.events);
    expect([event!.url, event!.referrer]).toEqual(['https://shop.test/p', 'https://other.test/']);
  });
});

describe('pageUrl and sampleRate in the tracker', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    localStorage.clear();
  });
  afterEach(() => {
    history.replaceState(null, '', '/');
    vi.useRealTimers();
  });
  const events = (sent: { events: TrailmarkEvent[] }[]) => sent.flatMap((s) => s.events);

  it('tracks nothing on an excluded page, strips parameters from url and in-app referrers, and keeps the campaign', async () => {
    const { transport, sent } = recordingTransport();
    const tracker = createTracker({ siteId: 's', transport, pageUrl: urlRules({ exclude: ['/admin/**'], stripParams: ['token'] }) });
    history.replaceState(null, '', '/admin/users?token=1');
    tracker.track('pageview');
    history.replaceState(null, '', '/landing?utm_source=news&gclid=G&token=T&id=7');
    tracker.track('pageview', undefined, { referrer: `${location.origin}/admin/users?token=1` });
    await tracker.flush();
    expect(tracker.dropped()).toEqual({});
    const [event, ...rest] = events(sent);
    expect(rest).toEqual([]);
    expect(event).toMatchObject({ url: `${location.origin}/landing?utm_source=news&id=7`, path: '/landing', utm_source: 'news' });
    expect(event!.referrer).toBe(`${location.origin}/admin/users`);
  });

  it('keeps or leaves out a whole visitor, deterministically, at about the rate asked', async () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `0190f0a0-0000-7000-8000-${String(i).padStart(12, '0')}`);
    const kept = ids.filter((id) => inSample(id, 0.25));
    expect(kept.length / ids.length).toBeGreaterThan(0.2);
    expect(kept.length / ids.length).toBeLessThan(0.3);
    expect(ids.filter((id) => inSample(id, 0.25))).toEqual(kept);
    expect(ids.every((id) => inSample(id, 1) && !inSample(id, 0))).toBe(true);

    const { transport, sent } = recordingTransport();
    const tracker = createTracker({ siteId: 's', transport, sampleRate: 0.5 });
    tracker.track('a');
    tracker.track('b');
    await tracker.flush();
    expect(events(sent)).toHaveLength(inSample(tracker.visitorId, 0.5) ? 2 : 0);
    expect(tracker.dropped()).toEqual({});
  });

  it('sends nothing at rate 0 and everything by default', async () => {
    const none = recordingTransport();
    const off = createTracker({ siteId: 'a', transport: none.transport, sampleRate: 0 });
    off.track('x');
    await off.flush();
    expect(none.sent).toHaveLength(0);
    const all = recordingTransport();
    const on = createTracker({ siteId: 'b', transport: all.transport });
    on.track('x');
    await on.flush();
    expect(all.sent).toHaveLength(1);
  });
});
