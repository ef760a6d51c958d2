import { describe, expect, it, vi } from 'vitest';
import { pageviews, scrollDepth } from '../../src/capture/index.js';
import { mount, stub } from './fake-tracker.js';

/** A page of `height` px in a 1000 px viewport, scrolled by hand; frames run when the test says so. */
function page(height: number) {
  const layout = { height, y: 0 };
  stub(document.documentElement, 'scrollHeight', () => layout.height);
  stub(window, 'innerHeight', () => 1000);
  stub(window, 'scrollY', () => layout.y);
  const frames = new Map<number, () => void>();
  let next = 1;
  const raf = vi.fn((callback: () => void) => {
    frames.set(next, callback);
    return next++;
  });
  const caf = vi.fn((id: number) => frames.delete(id));
  const frame = () => {
    const due = [...frames.values()];
    frames.clear();
    for (const callback of due) callback();
  };
  const scrollTo = (y: number) => {
    layout.y = y;
    dispatchEvent(new Event('scroll'));
    frame();
  };
  return { layout, raf, caf, frame, frames, scrollTo };
}

/** The milestones sent, in order. */
const milestones = (calls: Array<{ type: string; props?: Record<string, unknown> | undefined }>) =>
  calls.filter((call) => call.type === 'scroll_depth' && 'milestone' in call.props!).map((call) => call.props!.milestone);

describe('scrollDepth: the maths', () => {
  it('counts a page shorter than the viewport as fully seen', () => {
    const p = page(600);
    const tracker = mount(scrollDepth({ raf: p.raf, caf: p.caf }));
    p.frame();
    expect(milestones(tracker.calls)).toEqual([25, 50, 75, 100]);
  });

  it('measures the viewport bottom over the page height, each milestone once', () => {
    const p = page(4000);
    const tracker = mount(scrollDepth({ raf: p.raf, caf: p.caf }));
    p.frame();
    expect(tracker.calls.map((call) => [call.type, call.props])).toEqual([['scroll_depth', { milestone: 25 }]]);
    p.scrollTo(1000);
    p.scrollTo(0);
    p.scrollTo(1000);
    p.scrollTo(1990);
    expect(milestones(tracker.calls)).toEqual([25, 50, 75]);
    p.scrollTo(3000);
    p.scrollTo(3000);
    expect(milestones(tracker.calls)).toEqual([25, 50, 75, 100]);
  });

  it('takes custom milestones', () => {
    const p = page(10_000);
    const tracker = mount(scrollDepth({ raf: p.raf, caf: p.caf, milestones: [10, 90] }));
    p.scrollTo(8000);
    expect(milestones(tracker.calls)).toEqual([10, 90]);
  });

  it('reads layout at most once a frame, from a passive listener', () => {
    const add = vi.spyOn(window, 'addEventListener');
    const p = page(4000);
    mount(scrollDepth({ raf: p.raf, caf: p.caf }));
    expect(add).toHaveBeenCalledWith('scroll', expect.any(Function), { passive: true });
    add.mockRestore();
    p.frame();
    p.raf.mockClear();
    for (let i = 0; i < 20; i++) dispatchEvent(new Event('scroll'));
    expect(p.raf).toHaveBeenCalledTimes(1);
  });
});

describe('scrollDepth: prerendering', () => {
  it('measures a prerendered page only once it is activated, and its milestones once, with its page view', () => {
    let prerendering = true;
    stub(document, 'prerendering', () => prerendering);
    const p = page(600);
    const tracker = mount(pageviews(), scrollDepth({ raf: p.raf, caf: p.caf }));
    p.frame();
    expect(tracker.calls).toEqual([]);
    prerendering = false;
    document.dispatchEvent(new Event('prerenderingchange'));
    p.frame();
    expect(tracker.calls.map((call) => call.type)).toEqual(['pageview', 'scroll_depth', 'scroll_depth', 'scroll_depth', 'scroll_depth']);
    expect(milestones(tracker.calls)).toEqual([25, 50, 75, 100]);
  });

  it('measures a prerendered page on activation without pageviews() too', () => {
    let prerendering = true;
    stub(document, 'prerendering', () => prerendering);
    const p = page(600);
    const tracker = mount(scrollDepth({ raf: p.raf, caf: p.caf }));
    p.frame();
    expect(tracker.calls).toEqual([]);
    prerendering = false;
    document.dispatchEvent(new Event('prerenderingchange'));
    p.frame();
    expect(milestones(tracker.calls)).toEqual([25, 50, 75, 100]);
  });
});

describe('scrollDepth: page views and leaving', () => {
  it('starts the milestones over at each page view', () => {
    const p = page(4000);
    const tracker = mount(scrollDepth({ raf: p.raf, caf: p.caf }));
    p.scrollTo(1000);
    tracker.api.track('pageview', { navigation: 'push' });
    p.scrollTo(0);
    expect(milestones(tracker.calls)).toEqual([25, 50, 25]);
  });

  it('reports the deepest point on page_leave, pagehide or hidden, only when it grew', () => {
    const p = page(4000);
    let visibility = 'visible';
    stub(document, 'visibilityState', () => visibility);
    const tracker = mount(scrollDepth({ raf: p.raf, caf: p.caf }));
    p.scrollTo(1520);
    p.scrollTo(0);
    tracker.api.track('page_leave', { duration_ms: 1 }, { url: 'https://site.test/old', path: '/old' });
    dispatchEvent(new Event('pagehide'));
    visibility = 'hidden';
    document.dispatchEvent(new Event('visibilitychange'));
    const maxes = () => tracker.calls.filter((call) => call.props?.max_depth !== undefined);
    expect(maxes()).toEqual([
      expect.objectContaining({ props: { max_depth: 63 }, context: { url: 'https://site.test/old', path: '/old' } }),
    ]);
    visibility = 'visible';
    document.dispatchEvent(new Event('visibilitychange'));
    p.scrollTo(2200);
    visibility = 'hidden';
    document.dispatchEvent(new Event('visibilitychange'));
    expect(maxes().map((call) => [call.props?.max_depth, call.context])).toEqual([
      [63, { url: 'https://site.test/old', path: '/old' }],
      [80, undefined],
    ]);
  });

  it('sends the left page its maximum before the next page starts, alongside pageviews()', () => {
    History.prototype.replaceState.call(history, null, '', '/article');
    const p = page(4000);
    const tracker = mount(pageviews({ now: () => 0 }), scrollDepth({ raf: p.raf, caf: p.caf }));
    p.scrollTo(1000);
    history.pushState(null, '', '/next');
    // The router shows the new page from its top.
    p.layout.y = 0;
    p.frame();
    expect(tracker.calls.map((call) => [call.type, call.path, call.type === 'scroll_depth' ? call.props : undefined])).toEqual([
      ['pageview', '/article', undefined],
      ['scroll_depth', '/article', { milestone: 25 }],
      ['scroll_depth', '/article', { milestone: 50 }],
      ['page_leave', '/article', undefined],
      ['scroll_depth', '/article', { max_depth: 50 }],
      ['pageview', '/next', undefined],
      ['scroll_depth', '/next', { milestone: 25 }],
    ]);
  });
});

describe('scrollDepth: teardown', () => {
  it('cancels its frame and hears no scroll, page event or hide afterwards', () => {
    const p = page(4000);
    const tracker = mount(scrollDepth({ raf: p.raf, caf: p.caf }));
    p.frame();
    dispatchEvent(new Event('scroll'));
    tracker.teardown();
    expect(p.caf).toHaveBeenCalledWith(1 + 1);
    expect(tracker.listeners.size).toBe(0);
    p.raf.mockClear();
    p.scrollTo(3000);
    dispatchEvent(new Event('pagehide'));
    expect(p.raf).not.toHaveBeenCalled();
    expect(tracker.calls.map((call) => [call.type, call.props])).toEqual([['scroll_depth', { milestone: 25 }]]);
  });
});
