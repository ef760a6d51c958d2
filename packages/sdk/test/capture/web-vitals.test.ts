import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { MetricType } from 'web-vitals';
import { type VitalObserver, webVitals } from '../../src/capture/index.js';
import { mount } from './fake-tracker.js';

/** Fake `onLCP`, `onINP`, …: each keeps the callback it was given, so the test reports metrics through it. */
function fakeObservers() {
  const reporters = new Map<string, (metric: MetricType) => void>();
  const observers = ['LCP', 'INP', 'CLS', 'FCP', 'TTFB'].map((name) =>
    vi.fn<VitalObserver>((report) => {
      reporters.set(name, report);
    }),
  );
  const report = (name: MetricType['name'], value: number, id: string, more: Partial<MetricType> = {}) =>
    reporters.get(name)!({ name, value, delta: value, id, rating: 'good', navigationType: 'navigate', entries: [], ...more } as MetricType);
  return { observers, report };
}

beforeEach(() => History.prototype.replaceState.call(history, null, '', '/landing'));

/** The observers start in idle time (happy-dom has no requestIdleCallback: after the current task). */
const idle = () => new Promise((done) => setTimeout(done));

describe('webVitals', () => {
  it('observes the five metrics in idle time, not during setup, with reportAllChanges when asked', async () => {
    const plain = fakeObservers();
    mount(webVitals({ observers: plain.observers }));
    for (const observe of plain.observers) expect(observe).not.toHaveBeenCalled();
    await idle();
    for (const observe of plain.observers) expect(observe).toHaveBeenCalledWith(expect.any(Function), {});
    const all = fakeObservers();
    mount(webVitals({ observers: all.observers, reportAllChanges: true }));
    await idle();
    for (const observe of all.observers) expect(observe).toHaveBeenCalledWith(expect.any(Function), { reportAllChanges: true });
  });

  it('sends web_vital with name, rounded value and delta, rating, id and navigation type, at the landing URL', async () => {
    const { observers, report } = fakeObservers();
    const tracker = mount(webVitals({ observers }));
    await idle();
    history.pushState(null, '', '/after-spa-navigation');
    report('LCP', 1234.56, 'v5-1', { rating: 'needs-improvement', navigationType: 'reload' });
    report('CLS', 0.123456, 'v5-2');
    expect(tracker.calls.map((call) => [call.type, call.props, call.path])).toEqual([
      [
        'web_vital',
        { name: 'LCP', value: 1235, rating: 'needs-improvement', delta: 1235, id: 'v5-1', navigation_type: 'reload' },
        '/landing',
      ],
      ['web_vital', { name: 'CLS', value: 0.1235, rating: 'good', delta: 0.1235, id: 'v5-2', navigation_type: 'navigate' }, '/landing'],
    ]);
  });

  it('drops a repeated report of a metric id, and sends a changed value again with its delta', async () => {
    const { observers, report } = fakeObservers();
    const tracker = mount(webVitals({ observers }));
    await idle();
    report('INP', 200, 'v5-3');
    report('INP', 200, 'v5-3', { delta: 0 });
    report('CLS', 0.05, 'v5-4');
    report('CLS', 0.08, 'v5-4', { delta: 0.03 });
    expect(tracker.calls.map((call) => [call.props?.id, call.props?.value, call.props?.delta])).toEqual([
      ['v5-3', 200, 200],
      ['v5-4', 0.05, 0.05],
      ['v5-4', 0.08, 0.03],
    ]);
  });

  it('marks metrics measured after a bfcache restore, at the page as it is now', async () => {
    const { observers, report } = fakeObservers();
    const tracker = mount(webVitals({ observers }));
    await idle();
    history.pushState(null, '', '/restored');
    report('FCP', 300, 'v5-5', { navigationType: 'back-forward-cache' });
    expect(tracker.calls[0]).toMatchObject({
      props: { name: 'FCP', navigation_type: 'back-forward-cache', bfcache: true },
      context: undefined,
      path: '/restored',
    });
  });

  it('sends nothing after teardown (web-vitals cannot unsubscribe: its callbacks go inert)', async () => {
    const { observers, report } = fakeObservers();
    const tracker = mount(webVitals({ observers }));
    await idle();
    tracker.teardown();
    report('TTFB', 80, 'v5-6');
    expect(tracker.calls).toEqual([]);
  });

  it('starts no observer when torn down before idle time', async () => {
    const { observers } = fakeObservers();
    mount(webVitals({ observers })).teardown();
    await idle();
    for (const observe of observers) expect(observe).not.toHaveBeenCalled();
  });

  it('runs the bundled web-vitals observers by default without error where the browser lacks their APIs', async () => {
    const tracker = mount(webVitals());
    await idle();
    expect(tracker.calls).toEqual([]);
  });
});
