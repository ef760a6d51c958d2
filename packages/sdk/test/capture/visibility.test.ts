import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { visibility } from '../../src/capture/index.js';
import { mount, stub } from './fake-tracker.js';

let state: DocumentVisibilityState;
let focused: boolean;
const setVisibility = (next: DocumentVisibilityState) => {
  state = next;
  document.dispatchEvent(new Event('visibilitychange'));
};
const setFocus = (next: boolean) => {
  focused = next;
  dispatchEvent(new Event(next ? 'focus' : 'blur'));
};
const now = () => Date.now();

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'Date'] });
  state = 'visible';
  focused = true;
  stub(document, 'visibilityState', () => state);
  stub(document, 'hasFocus', () => () => focused);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('visibility: page_visibility', () => {
  it('reports each change with the engaged time since the last report', () => {
    const tracker = mount(visibility({ now }));
    vi.advanceTimersByTime(4000);
    setVisibility('hidden');
    vi.advanceTimersByTime(10_000);
    setVisibility('visible');
    vi.advanceTimersByTime(2500);
    setVisibility('hidden');
    expect(tracker.calls.map((call) => [call.type, call.props])).toEqual([
      ['page_visibility', { state: 'hidden', engaged_ms: 4000 }],
      ['page_visibility', { state: 'visible', engaged_ms: 0 }],
      ['page_visibility', { state: 'hidden', engaged_ms: 2500 }],
    ]);
  });

  it('does not count time without focus as engaged', () => {
    const tracker = mount(visibility({ now }));
    vi.advanceTimersByTime(1000);
    setFocus(false);
    vi.advanceTimersByTime(2000);
    setFocus(true);
    vi.advanceTimersByTime(2000);
    setVisibility('hidden');
    expect(tracker.calls[0]!.props).toEqual({ state: 'hidden', engaged_ms: 3000 });
  });

  it('does not count time spent in the bfcache, even when the page still said visible at pagehide', () => {
    const tracker = mount(visibility({ now }));
    vi.advanceTimersByTime(1000);
    dispatchEvent(new Event('pagehide'));
    vi.advanceTimersByTime(60_000);
    dispatchEvent(new Event('pageshow'));
    vi.advanceTimersByTime(500);
    setVisibility('hidden');
    expect(tracker.calls[0]!.props).toEqual({ state: 'hidden', engaged_ms: 1500 });
  });

  it('ignores a visibilitychange that changes nothing', () => {
    const tracker = mount(visibility({ now }));
    setVisibility('visible');
    expect(tracker.calls).toEqual([]);
  });
});

describe('visibility: heartbeat', () => {
  it('sends engaged time at each interval while visible, none while hidden, and adds up to the total', () => {
    const tracker = mount(visibility({ now, heartbeat: 15_000 }));
    vi.advanceTimersByTime(40_000);
    setVisibility('hidden');
    vi.advanceTimersByTime(120_000);
    expect(tracker.calls.map((call) => [call.type, call.props?.engaged_ms])).toEqual([
      ['heartbeat', 15_000],
      ['heartbeat', 15_000],
      ['page_visibility', 10_000],
    ]);
    setVisibility('visible');
    vi.advanceTimersByTime(15_000);
    expect(tracker.calls.at(-1)).toMatchObject({ type: 'heartbeat', props: { engaged_ms: 15_000 } });
    const total = tracker.calls.reduce((sum, call) => sum + (call.props?.engaged_ms as number), 0);
    expect(total).toBe(55_000);
  });

  it('skips a heartbeat when nothing was engaged (visible but not focused)', () => {
    const tracker = mount(visibility({ now, heartbeat: 10_000 }));
    setFocus(false);
    vi.advanceTimersByTime(30_000);
    expect(tracker.calls).toEqual([]);
    setFocus(true);
    vi.advanceTimersByTime(10_000);
    expect(tracker.calls.map((call) => call.props)).toEqual([{ engaged_ms: 10_000 }]);
  });

  it('sends no heartbeat unless asked to', () => {
    const tracker = mount(visibility({ now }));
    vi.advanceTimersByTime(600_000);
    expect(tracker.calls).toEqual([]);
  });
});

describe('visibility: teardown', () => {
  it('stops the heartbeat and the listeners', () => {
    const tracker = mount(visibility({ now, heartbeat: 1000 }));
    tracker.teardown();
    vi.advanceTimersByTime(10_000);
    setVisibility('hidden');
    expect(tracker.calls).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
