import { DEFAULT_REDACTION_RULES } from '@trailmark/protocol';
import { beforeEach, describe, expect, it } from 'vitest';
import { forms } from '../../src/capture/index.js';
import { mount } from './fake-tracker.js';

const submit = (form = document.querySelector('form')!, submitter?: HTMLElement) =>
  form.dispatchEvent(new SubmitEvent('submit', { bubbles: true, cancelable: true, submitter: submitter ?? null }));

/** Sets a field's value as the user would have typed it. */
const type = (name: string, value: string) => {
  (document.querySelector(`[name="${name}"]`) as HTMLInputElement).value = value;
};

const SIGNUP = `
  <form id="signup" name="signup-form" action="/api/signup" method="POST">
    <input name="email" type="email">
    <input name="password" type="password">
    <select name="plan"><option value="free">Free</option><option value="pro">Pro</option></select>
    <input name="newsletter" type="checkbox" value="yes" checked>
    <input name="size" type="radio" value="s"><input name="size" type="radio" value="m" checked>
    <input name="company">
    <input name="csrf" type="hidden" value="tok-123">
    <textarea name="comment"></textarea>
    <button type="submit">Sign up</button>
  </form>`;

beforeEach(() => {
  document.body.innerHTML = SIGNUP;
  type('email', 'jane.doe@example.com');
  type('password', 'hunter2-secret');
  (document.querySelector('select') as HTMLSelectElement).value = 'pro';
});

describe('forms: what a submission says', () => {
  it('sends one form_submit with the form, its field count and the filled field names, and no value', () => {
    const tracker = mount(forms());
    submit();
    expect(tracker.calls).toEqual([
      expect.objectContaining({
        type: 'form_submit',
        props: {
          id: 'signup',
          name: 'signup-form',
          action: '/api/signup',
          method: 'post',
          fields: 7,
          filled: ['email', 'password', 'plan', 'newsletter', 'size'],
        },
      }),
    ]);
    const body = JSON.stringify(tracker.calls);
    for (const value of ['jane.doe', 'hunter2', 'pro"', 'tok-123']) expect(body).not.toContain(value);
  });

  it('reads id and name from attributes even when a field shadows them, and defaults the method to get', () => {
    document.body.innerHTML = '<form><input name="id" value="x"><input name="action" value="y"></form>';
    const tracker = mount(forms());
    submit();
    expect(tracker.calls[0]!.props).toEqual({ method: 'get', fields: 2, filled: ['id', 'action'] });
  });

  it("takes the action and method of the submitting button's formaction/formmethod", () => {
    document.body.innerHTML =
      '<form action="/save" method="post"><input name="q"><button formaction="/search" formmethod="get">Go</button></form>';
    const tracker = mount(forms());
    submit(undefined, document.querySelector('button')!);
    expect(tracker.calls[0]!.props).toMatchObject({ action: '/search', method: 'get' });
  });

  it('bounds the filled list', () => {
    document.body.innerHTML = `<form>${Array.from({ length: 80 }, (_, i) => `<input name="f${i}" value="v">`).join('')}</form>`;
    const tracker = mount(forms({ allow: Array.from({ length: 80 }, (_, i) => `f${i}`) }));
    submit();
    const props = tracker.calls[0]!.props!;
    expect(props.fields).toBe(80);
    expect(props.filled).toHaveLength(50);
    expect(Object.keys(props.values as object)).toHaveLength(50);
  });
});

describe('forms: values, private by default', () => {
  it('captures only allowlisted values, redacted', () => {
    type('comment', 'Call me on (555) 123-4567 or mail jane@example.org');
    const tracker = mount(forms({ allow: ['plan', 'comment', 'newsletter'] }));
    submit();
    expect(tracker.calls[0]!.props!.values).toEqual({
      plan: 'pro',
      newsletter: 'yes',
      comment: 'Call me on [redacted:phone] or mail [redacted:email]',
    });
  });

  it('captures fields marked data-tm-capture, on the field or on the form', () => {
    document.body.innerHTML = `
      <form><input name="topic" data-tm-capture value="billing"><input name="other" value="x"></form>
      <form id="all" data-tm-capture><input name="a" value="1"><input name="pin" value="1234"><input name="b" value="2"></form>`;
    const tracker = mount(forms());
    submit();
    submit(document.querySelector<HTMLFormElement>('#all')!);
    expect(tracker.calls.map((call) => call.props!.values)).toEqual([{ topic: 'billing' }, { a: '1', b: '2' }]);
  });

  it.each([
    ['a password input', '<input name="note" type="password">'],
    ['a hidden input', '<input name="note" type="hidden">'],
    ['cc-* autocomplete', '<input name="note" autocomplete="cc-number">'],
    ['a sectioned cc autocomplete', '<input name="note" autocomplete="section-pay billing cc-exp">'],
    ['one-time-code', '<input name="note" autocomplete="one-time-code">'],
    ['current-password', '<input name="note" autocomplete="current-password">'],
    ['new-password', '<input name="note" autocomplete="new-password">'],
    ['a card name', '<input name="card_number">'],
    ['a cvv name', '<input name="cvv">'],
    ['an ssn name', '<input name="ssn">'],
    ['a pass name', '<input name="user_pass">'],
    ['an iban name', '<input name="iban">'],
    ['a token name', '<input name="api_token">'],
    ['a sensitive id', '<input id="cardNumber">'],
    ['a file input', '<input name="note" type="file">'],
  ])('never captures %s, even allowlisted', (_, html) => {
    document.body.innerHTML = `<form data-tm-capture>${html}</form>`;
    const field = document.querySelector('input')!;
    if (field.type !== 'file') field.value = 'v4l-secret';
    const name = field.name || field.id;
    const tracker = mount(forms({ allow: [name] }));
    submit();
    expect(tracker.calls).toHaveLength(1);
    expect(tracker.calls[0]!.props!.values).toBeUndefined();
    expect(JSON.stringify(tracker.calls)).not.toContain('v4l-secret');
  });

  it.each([
    ['a Visa number that passes Luhn', '4111 1111 1111 1111', '[redacted:card]'],
    ['a dashed Mastercard number that passes Luhn', '5555-5555-5555-4444', '[redacted:card]'],
    ['an Amex number inside text', 'paid with 378282246310005 ok', 'paid with [redacted:card] ok'],
    ['a card-like number that fails Luhn', '4111 1111 1111 1112', '4111 1111 1111 1112'],
    ['another that fails Luhn', '4539 1488 0343 6468', '4539 1488 0343 6468'],
    ['an e-mail address', 'Reach me at jane.doe+x@example.co.uk please', 'Reach me at [redacted:email] please'],
    ['a phone number', 'call 030 1234 5678 today', 'call [redacted:phone] today'],
    ['a valid IBAN', 'DE89 3704 0044 0532 0130 00', '[redacted:iban]'],
    ['a compact IBAN', 'to GB82WEST12345698765432', 'to [redacted:iban]'],
    ['an IBAN with a bad checksum', 'DE00 3704 0044 0532 0130 00', 'DE00 3704 0044 0532 0130 00'],
    ['an SSN-like string', 'ssn 123-45-6789', 'ssn [redacted:ssn]'],
    ['dates and short numbers', 'order 12345 on 2026-11-22', 'order 12345 on 2026-11-22'],
  ])('scrubs %s from an allowlisted value', (_, value, expected) => {
    document.body.innerHTML = '<form><textarea name="message"></textarea></form>';
    type('message', value);
    const tracker = mount(forms({ allow: ['message'] }));
    submit();
    expect(tracker.calls[0]!.props!.values).toEqual({ message: expected });
  });

  it('redacts the whole value before bounding it, so a card at the cut is still caught', () => {
    document.body.innerHTML = '<form><textarea name="message"></textarea></form>';
    type('message', `${'x'.repeat(1014)} 4111111111111111`);
    const tracker = mount(forms({ allow: ['message'] }));
    submit();
    const value = (tracker.calls[0]!.props!.values as Record<string, string>).message!;
    expect(value).toHaveLength(1024);
    expect(value).not.toMatch(/4111/);
  });

  it('takes custom rules: extending the defaults, or replacing them', () => {
    document.body.innerHTML = '<form><textarea name="message"></textarea></form>';
    type('message', 'ticket ORD-98765 from jane@example.org');
    const order = { name: 'order', pattern: /ORD-\d+/g };
    const extended = mount(forms({ allow: ['message'], rules: [...DEFAULT_REDACTION_RULES, order] }));
    submit();
    expect(extended.calls[0]!.props!.values).toEqual({ message: 'ticket [redacted:order] from [redacted:email]' });
    extended.teardown();
    const replaced = mount(forms({ allow: ['message'], rules: [order] }));
    submit();
    expect(replaced.calls[0]!.props!.values).toEqual({ message: 'ticket [redacted:order] from jane@example.org' });
  });
});

describe('forms: opting out and teardown', () => {
  it('ignores a form inside data-tm-ignore', () => {
    document.body.innerHTML = '<div data-tm-ignore><form><input name="a" value="1"></form></div>';
    const tracker = mount(forms());
    submit();
    expect(tracker.calls).toEqual([]);
  });

  it('hears no submission after teardown', () => {
    const tracker = mount(forms());
    tracker.teardown();
    submit();
    expect(tracker.calls).toEqual([]);
  });
});
