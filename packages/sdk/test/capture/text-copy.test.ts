import { beforeEach, describe, expect, it } from 'vitest';
import { textCopy } from '../../src/capture/index.js';
import { mount } from './fake-tracker.js';

const copy = (target: EventTarget) => target.dispatchEvent(new Event('copy', { bubbles: true, cancelable: true }));
const select = (node: Node) => {
  const range = document.createRange();
  range.selectNodeContents(node);
  const selection = getSelection()!;
  selection.removeAllRanges();
  selection.addRange(range);
};

beforeEach(() => {
  document.body.innerHTML = `
    <p id="quote">Hello <b>wide</b> world</p>
    <textarea id="note">secret text here</textarea>
    <div data-tm-ignore><span id="private">private words</span></div>`;
  getSelection()!.removeAllRanges();
});

describe('textCopy', () => {
  it('sends the length of the selected text and the element it starts in, never the text', () => {
    const tracker = mount(textCopy());
    select(document.querySelector('#quote')!);
    copy(document.querySelector('#quote')!);
    select(document.querySelector('b')!.firstChild!);
    copy(document.querySelector('b')!);
    expect(tracker.calls.map((call) => [call.type, call.props])).toEqual([
      ['text_copy', { length: 16, tag: 'p', id: 'quote' }],
      ['text_copy', { length: 4, tag: 'b' }],
    ]);
    expect(JSON.stringify(tracker.calls)).not.toMatch(/Hello|wide/);
  });

  it('measures a copy from a field by its selection range', () => {
    const tracker = mount(textCopy());
    const note = document.querySelector<HTMLTextAreaElement>('#note')!;
    note.setSelectionRange(0, 6);
    copy(note);
    expect(tracker.calls.map((call) => call.props)).toEqual([{ length: 6, tag: 'textarea', id: 'note' }]);
    expect(JSON.stringify(tracker.calls)).not.toContain('secret');
  });

  it('counts a copy from a field without a selection API (email, number), whose length it may not know', () => {
    document.body.insertAdjacentHTML('beforeend', '<input id="mail" type="email" value="jane@example.com">');
    const mail = document.querySelector<HTMLInputElement>('#mail')!;
    // The HTML standard: selectionStart and selectionEnd are null for email and number inputs.
    Object.defineProperty(mail, 'selectionStart', { value: null });
    Object.defineProperty(mail, 'selectionEnd', { value: null });
    const tracker = mount(textCopy());
    copy(mail);
    expect(tracker.calls.map((call) => [call.type, call.props])).toEqual([['text_copy', { length: 0, tag: 'input', id: 'mail' }]]);
  });

  it('skips an empty copy and anything inside data-tm-ignore', () => {
    const tracker = mount(textCopy());
    copy(document.body);
    select(document.querySelector('#private')!);
    copy(document.querySelector('#private')!);
    expect(tracker.calls).toEqual([]);
  });

  it('hears no copy after teardown', () => {
    const tracker = mount(textCopy());
    tracker.teardown();
    select(document.querySelector('#quote')!);
    copy(document.querySelector('#quote')!);
    expect(tracker.calls).toEqual([]);
  });
});
