// @vitest-environment happy-dom
import { act, createElement, type ReactNode, StrictMode, useEffect } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import type { TrailmarkEvent, Transport } from 'trailmark';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type PageLocation, type PageviewsHookOptions, pageKey, TrailmarkProvider, usePageviews, useTracker } from '../src/index.js';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** The network edge: nothing here is meant to be sent during a test, and a send fails it loudly. */
const transport: Transport = {
  send: () => Promise.reject(new Error('unexpected send in a unit test')),
};

let root: Root;
let stored: TrailmarkEvent[];
let seenInRender: unknown[];

/** Renders `tree` under a provider whose tracker hands every event to `stored` (its `beforeSend`, then dropped). */
async function render(tree: ReactNode, strict = true, start?: 'idle') {
  const provider = createElement(
    TrailmarkProvider,
    {
      ...(start ? { start } : {}),
      options: {
        siteId: 'site',
        transport,
        persistence: 'memory',
        flushInterval: 60_000,
        beforeSend: (event) => {
          stored.push(event);
          return null;
        },
      },
    },
    tree,
  );
  await act(async () => root.render(strict ? createElement(StrictMode, null, provider) : provider));
}

const pageviews = () => stored.filter((e) => e.type === 'pageview').map((e) => [e.path, e.props?.navigation, e.title, e.referrer]);

function Page(props: { location: PageLocation; options?: PageviewsHookOptions }) {
  const tracker = useTracker();
  seenInRender.push(tracker.visitorId);
  usePageviews(props.location, props.options);
  useEffect(() => tracker.track('mounted', { at: 'child' }), [tracker]);
  return null;
}

/** Moves the address bar as a router does before it renders the new location. */
const go = (url: string) => history.pushState({}, '', url);
const sleep = (ms: number) => act(() => new Promise((resolve) => setTimeout(resolve, ms)));

beforeEach(() => {
  stored = [];
  seenInRender = [];
  document.title = 'Home';
  history.replaceState({}, '', '/');
  root = createRoot(document.createElement('div'));
});
afterEach(async () => {
  // The page ends: a page view still waiting for its title is recorded now, not into the next test.
  window.dispatchEvent(new Event('pagehide'));
  await act(async () => root.unmount());
  // After the unmount: its cleanup may cancel an idle callback through a stubbed cancelIdleCallback.
  vi.unstubAllGlobals();
});

describe('<TrailmarkProvider> in the browser', () => {
  it('creates the tracker after the first render, and replays what a child tracked before it started', async () => {
    await render(createElement(Page, { location: '/' }), false);
    // The render ran before any tracker existed (no visitor id yet); the child's effect ran before the provider's.
    expect(seenInRender.every((id) => id === '')).toBe(true);
    expect(stored.map((e) => e.type)).toEqual(['pageview', 'mounted']);
    expect(stored[1]!.props).toEqual({ at: 'child' });
    expect(stored[0]!.visitor_id).not.toBe('');
  });

  it('with start="idle", creates the tracker only once the browser is idle, and loses nothing tracked before', async () => {
    // The browser's idle moment is the test's to choose: a real one came during the render's act() on a loaded
    // machine (CI), before the first expectation.
    const idle = new Map<number, () => void>();
    let ids = 0;
    vi.stubGlobal('requestIdleCallback', (fn: () => void) => {
      idle.set(++ids, fn);
      return ids;
    });
    vi.stubGlobal('cancelIdleCallback', (id: number) => idle.delete(id));
    await render(createElement(Page, { location: '/' }), true, 'idle');
    expect(stored).toEqual([]);
    expect((window as { __trailmark?: Record<string, unknown> }).__trailmark?.site).toBeUndefined();
    expect(idle.size).toBe(1);
    await act(async () => {
      for (const fn of idle.values()) fn();
    });
    await sleep(50);
    // The test's component tracks 'mounted' in a bare effect, which StrictMode runs twice: both are replayed.
    expect(stored.map((e) => e.type)).toEqual(['pageview', 'mounted', 'mounted']);
  });

  it('counts the first page once in StrictMode, and each later route once with the previous URL as referrer', async () => {
    await render(createElement(Page, { location: '/' }));
    go('/pricing?plan=pro');
    document.title = 'Pricing';
    await render(createElement(Page, { location: { pathname: '/pricing', search: '?plan=pro' } }));
    expect(pageviews()).toEqual([
      ['/', 'load', 'Home', undefined],
      ['/pricing', 'push', 'Pricing', 'http://localhost:3000/'],
    ]);
  });
});

describe('usePageviews()', () => {
  it('records Back and Forward as pop', async () => {
    await render(createElement(Page, { location: '/' }));
    go('/a');
    document.title = 'A';
    await render(createElement(Page, { location: '/a' }));
    history.replaceState({}, '', '/');
    window.dispatchEvent(new PopStateEvent('popstate'));
    document.title = 'Home again';
    await render(createElement(Page, { location: '/' }));
    expect(pageviews().map((p) => p[1])).toEqual(['load', 'push', 'pop']);
  });

  it('counts a query-only navigation as a page, unless search is false', async () => {
    await render(createElement(Page, { location: '/list?page=1', options: { title: 'List' } }));
    go('/list?page=2');
    await render(createElement(Page, { location: '/list?page=2', options: { title: 'List' } }));
    expect(stored.filter((e) => e.type === 'pageview').map((e) => e.url)).toEqual([
      'http://localhost:3000/',
      'http://localhost:3000/list?page=2',
    ]);
    await act(async () => root.unmount());
    root = createRoot(document.createElement('div'));
    stored.length = 0;
    const pathOnly = { title: 'List', search: false };
    await render(createElement(Page, { location: '/list?page=1', options: pathOnly }));
    go('/list?page=2');
    await render(createElement(Page, { location: '/list?page=2', options: pathOnly }));
    expect(pageviews()).toHaveLength(1);
  });

  it("waits for the new route's title, and takes it as soon as the document has it", async () => {
    await render(createElement(Page, { location: '/', options: { titleWaitMs: 5000 } }));
    go('/product/7');
    await render(createElement(Page, { location: '/product/7', options: { titleWaitMs: 5000 } }));
    expect(pageviews()).toHaveLength(1);
    // The route's metadata resolves later, as a streamed generateMetadata does.
    await act(async () => {
      document.title = 'Product 7';
    });
    await sleep(0);
    expect(pageviews()).toEqual([
      ['/', 'load', 'Home', undefined],
      ['/product/7', 'push', 'Product 7', 'http://localhost:3000/'],
    ]);
  });

  it('records a route whose title never changes after titleWaitMs', async () => {
    await render(createElement(Page, { location: '/', options: { titleWaitMs: 30 } }));
    go('/same');
    await render(createElement(Page, { location: '/same', options: { titleWaitMs: 30 } }));
    expect(pageviews()).toHaveLength(1);
    await sleep(60);
    expect(pageviews()).toEqual([
      ['/', 'load', 'Home', undefined],
      ['/same', 'push', 'Home', 'http://localhost:3000/'],
    ]);
  });

  it('records a page still waiting for its title at once, with its own URL, when the next navigation comes', async () => {
    await render(createElement(Page, { location: '/', options: { titleWaitMs: 5000 } }));
    go('/quick');
    await render(createElement(Page, { location: '/quick', options: { titleWaitMs: 5000 } }));
    go('/next');
    document.title = 'Next';
    await render(createElement(Page, { location: '/next', options: { titleWaitMs: 5000 } }));
    expect(stored.filter((e) => e.type === 'pageview').map((e) => [e.url, e.path, e.referrer])).toEqual([
      ['http://localhost:3000/', '/', undefined],
      ['http://localhost:3000/quick', '/quick', 'http://localhost:3000/'],
      ['http://localhost:3000/next', '/next', 'http://localhost:3000/quick'],
    ]);
  });

  it('records nothing while the router has no location yet (the Pages Router before isReady)', async () => {
    await render(createElement(Page, { location: null }));
    expect(pageviews()).toEqual([]);
    await render(createElement(Page, { location: '/ready' }));
    expect(pageviews()).toHaveLength(1);
  });
});

describe('pageKey()', () => {
  it('keeps path and query, and the hash only when asked', () => {
    expect(pageKey('/a?b=1#c')).toBe('/a?b=1');
    expect(pageKey('/a?b=1#c', { hash: true })).toBe('/a?b=1#c');
    expect(pageKey('/a?b=1#c', { search: false })).toBe('/a');
    expect(pageKey('/a#c?x')).toBe('/a');
    expect(pageKey({ pathname: '/a', search: '?', hash: '#h' })).toBe('/a');
    expect(pageKey(null)).toBeUndefined();
  });
});

describe('plain-data options (what a Server Component can pass)', () => {
  it('become full options with a fetch transport to the endpoint, the rest kept', async () => {
    const { trackerOptions } = await import('../src/provider.js');
    const full = trackerOptions({ siteId: 's', endpoint: '/v1/batch?key=pk', flushInterval: 300 });
    expect(full.siteId).toBe('s');
    expect(full.flushInterval).toBe(300);
    expect(typeof full.transport.send).toBe('function');
    expect('endpoint' in full).toBe(false);
  });
});
