import { beforeEach, describe, expect, it } from 'vitest';
import { formAbandonment } from '../../src/capture/index.js';
import { mount } from './fake-tracker.js';

const $ = (selector: string) => document.querySelector(selector) as HTMLInputElement;
const focus = (selector: string) => $(selector).dispatchEvent(new FocusEvent('focusin', { bubbles: true, composed: true }));
const type = (selector: string, value: string) => {
  focus(selector);
  $(selector).value = value;
  $(selector).dispatchEvent(new Event('input', { bubbles: true, composed: true }));
};
const leave = () => window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));

beforeEach(() => {
  document.body.innerHTML = `
    <form id="signup" name="signup-form">
      <input name="email" type="email" autofocus><input name="id"><input name="password" type="password">
      <select name="plan"><option>a</option><option>b</option></select><button type="submit">Go</button>
    </form>
    <form id="other" data-tm-ignore><input name="q"></form>`;
});

describe('formAbandonment', () => {
  it('sends form_start at the first input, with the form and field names, never values', () => {
    const tracker = mount(formAbandonment());
    focus('[name=email]');
    expect(tracker.calls).toEqual([]);
    type('[name=email]', 'jane@example.com');
    type('[name=password]', 'hunter2');
    expect(tracker.calls.map((call) => [call.type, call.props])).toEqual([
      ['form_start', { id: 'signup', name: 'signup-form', field: 'email' }],
    ]);
  });

  it('sends form_abandon with the last field reached and the fields touched when the page is left unsubmitted', () => {
    const tracker = mount(formAbandonment());
    type('[name=email]', 'jane@example.com');
    type('[name=password]', 'hunter2');
    focus('[name=plan]');
    leave();
    expect(tracker.of('form_abandon').map((call) => call.props)).toEqual([
      { id: 'signup', name: 'signup-form', last_field: 'plan', fields: 2 },
    ]);
    expect(JSON.stringify(tracker.calls)).not.toMatch(/jane|hunter2/);
  });

  it('sends no form_abandon for a submitted form, nor for a form never typed into', () => {
    const tracker = mount(formAbandonment());
    focus('[name=email]');
    leave();
    type('[name=email]', 'x');
    $('form').dispatchEvent(new SubmitEvent('submit', { bubbles: true, cancelable: true }));
    leave();
    expect(tracker.of('form_abandon')).toEqual([]);
    expect(tracker.of('form_start')).toHaveLength(1);
  });

  it('counts a change (a select) as input, and a form back from the back/forward cache starts afresh', () => {
    const tracker = mount(formAbandonment());
    $('[name=plan]').dispatchEvent(new Event('change', { bubbles: true, composed: true }));
    leave();
    type('[name=email]', 'x');
    leave();
    expect(tracker.calls.map((call) => [call.type, call.props?.last_field ?? call.props?.field])).toEqual([
      ['form_start', 'plan'],
      ['form_abandon', 'plan'],
      ['form_start', 'email'],
      ['form_abandon', 'email'],
    ]);
  });

  it('ignores a data-tm-ignore form and a field outside any form', () => {
    document.body.insertAdjacentHTML('beforeend', '<input id="loose">');
    const tracker = mount(formAbandonment());
    type('[name=q]', 'x');
    type('#loose', 'x');
    leave();
    expect(tracker.calls).toEqual([]);
  });
});
