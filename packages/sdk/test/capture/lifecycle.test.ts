import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MetricType } from 'web-vitals';
import { clicks, forms, pageviews, scrollDepth, textCopy, visibility, webVitals } from '../../src/capture/index.js';
import type { Plugin, TrackerApi } from '../../src/plugin.js';
import { fakeTracker, stub } from './fake-tracker.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const capture = (options: boolean | AddEventListenerOptions | undefined) => (typeof options === 'boolean' ? options : !!options?.capture);

describe('every plugin removes every listener it added', () => {
  it.each<[string, () => Plugin, boolean]>([
    ['pageviews', () => pageviews({ hash: true }), true],
    ['clicks', () => clicks(), true],
    ['scrollDepth', () => scrollDepth(), true],
    ['forms', () => forms(), true],
    ['visibility', () => visibility({ heartbeat: 1000 }), true],
    // web-vitals adds (and keeps) its own listeners; the plugin itself adds none.
    ['webVitals', () => webVitals({ observers: [] }), false],
    ['textCopy', () => textCopy(), true],
  ])('%s', (_, create, listens) => {
    const added: unknown[][] = [];
    const removed: unknown[][] = [];
    // The page's own targets (happy-dom's classes are not the global EventTarget, so each instance is watched).
    for (const target of [window, document] as EventTarget[]) {
      const add = target.addEventListener.bind(target);
      const remove = target.removeEventListener.bind(target);
      vi.spyOn(target, 'addEventListener').mockImplementation((type, listener, options) => {
        added.push([target, type, listener, capture(options)]);
        add(type, listener, options);
      });
      vi.spyOn(target, 'removeEventListener').mockImplementation((type, listener, options) => {
        removed.push([target, type, listener, capture(options)]);
        remove(type, listener, options);
      });
    }
    const tracker = fakeTracker();
    const plugin = create();
    // Creating a plugin touches nothing: only setup does.
    expect(added).toEqual([]);
    const teardown = plugin.setup(tracker.api)!;
    expect(added.length > 0).toBe(listens);
    teardown();
    expect(removed).toEqual(expect.arrayContaining(added));
    expect(removed).toHaveLength(added.length);
    expect(tracker.listeners.size).toBe(0);
  });
});

describe('no plugin throws into the page', () => {
  /** A core whose `track()` fails: every plugin must catch it and report it under its own name. */
  function failingTracker() {
    const reported: string[] = [];
    const api: TrackerApi = {
      siteId: 'site',
      track() {
        throw new Error('track failed');
      },
      onEvent: () => () => undefined,
      reportError: (_, where) => {
        reported.push(where);
      },
    };
    return { api, reported };
  }

  it.each<[string, () => Plugin, () => void]>([
    ['pageviews', () => pageviews(), () => history.pushState(null, '', '/elsewhere')],
    ['clicks', () => clicks(), () => document.querySelector('button')!.dispatchEvent(new MouseEvent('click', { bubbles: true }))],
    [
      'scrollDepth',
      () =>
        scrollDepth({
          raf: (callback) => {
            callback();
            return 1;
          },
          caf: () => undefined,
        }),
      () => dispatchEvent(new Event('scroll')),
    ],
    ['forms', () => forms(), () => document.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true }))],
    ['visibility', () => visibility(), () => document.dispatchEvent(new Event('visibilitychange'))],
    ['textCopy', () => textCopy(), () => document.querySelector('textarea')!.dispatchEvent(new Event('copy', { bubbles: true }))],
  ])('%s', (name, create, act) => {
    document.body.innerHTML = '<button>b</button><form><textarea name="t">words</textarea></form>';
    document.querySelector('textarea')!.setSelectionRange(0, 3);
    const { api, reported } = failingTracker();
    const teardown = create().setup(api)!;
    // The page turns hidden after setup (for visibility's sake).
    stub(document, 'visibilityState', () => 'hidden');
    try {
      expect(act).not.toThrow();
      expect(reported).toContain(name);
    } finally {
      teardown();
    }
  });

  it('webVitals', async () => {
    const { api, reported } = failingTracker();
    let report: ((metric: MetricType) => void) | undefined;
    webVitals({
      observers: [
        (callback) => {
          report = callback;
        },
      ],
    }).setup(api);
    // Its observers start in idle time (happy-dom: after the current task).
    await new Promise((done) => setTimeout(done));
    expect(() =>
      report!({
        name: 'LCP',
        value: 1,
        delta: 1,
        id: 'x',
        rating: 'good',
        navigationType: 'navigate',
        entries: [],
      } as unknown as MetricType),
    ).not.toThrow();
    expect(reported).toEqual(['webVitals']);
  });
});
