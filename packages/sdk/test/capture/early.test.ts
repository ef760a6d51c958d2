// The script tag's second file starts its plugins after the page's `load` and gives each the events of its kinds the
// page fired before (script-tag-later.ts): a listener a plugin adds at the window or document is first handed those.
import { describe, expect, it } from 'vitest';
import { clicks, errors, formAbandonment } from '../../src/capture/index.js';
import type { Replaying } from '../../src/capture/scope.js';
import type { Plugin } from '../../src/plugin.js';
import { fakeTracker } from './fake-tracker.js';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Dispatches `events` (each after its target is in the page) with no plugin listening, as before the second file. */
function fireEarly(...events: Array<[EventTarget, Event]>): Event[] {
  for (const [target, event] of events) target.dispatchEvent(event);
  return events.map(([, event]) => event);
}

/** Starts `plugin` on a fake tracker that hands it `early` as the second file does. */
function startLate(plugin: Plugin, early: Event[]) {
  const tracker = fakeTracker();
  const api: Replaying = {
    ...tracker.api,
    _early: (target, type, listener) => {
      if (target === window || target === document) for (const event of early) if (event.type === type) listener(event);
    },
  };
  const stop = plugin.setup(api);
  return { ...tracker, stop };
}

describe('events fired before a plugin started (the script tag’s second file)', () => {
  it('a click fired before clicks() started is sent as it starts, and is never judged a dead click', async () => {
    document.body.innerHTML = '<button id="buy">Buy</button><img id="photo" alt="">';
    const early = fireEarly(
      [document.getElementById('buy')!, new MouseEvent('click', { bubbles: true })],
      [document.getElementById('photo')!, new MouseEvent('click', { bubbles: true })],
    );
    const { calls, stop } = startLate(clicks({ deadAfter: 20 }), early);
    expect(calls.map((call) => call.props)).toEqual([{ tag: 'button', id: 'buy', text: 'Buy' }]);
    await wait(50);
    expect(calls).toHaveLength(1);
    stop?.();
  });

  it('an error thrown and a form typed into before the plugins started are a js_error and a form_start', () => {
    document.body.innerHTML = '<form name="signup"><input name="company"></form>';
    const early = fireEarly(
      [window, new ErrorEvent('error', { message: 'boom', error: new TypeError('boom') })],
      [document.querySelector('input')!, new Event('input', { bubbles: true })],
    );
    const a = startLate(errors(), early);
    const b = startLate(formAbandonment(), early);
    expect(a.calls.map((call) => [call.type, call.props?.message])).toEqual([['js_error', 'boom']]);
    expect(b.calls.map((call) => [call.type, call.props])).toEqual([['form_start', { name: 'signup', field: 'company' }]]);
    a.stop?.();
    b.stop?.();
  });
});
