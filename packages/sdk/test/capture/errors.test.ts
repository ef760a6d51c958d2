import { describe, expect, it } from 'vitest';
import { errors } from '../../src/capture/index.js';
import { mount } from './fake-tracker.js';

const fire = (message: string, error: unknown, filename = 'https://shop.test/app.js?v=3&token=abc#x', lineno = 12, colno = 5) =>
  window.dispatchEvent(new ErrorEvent('error', { message, error, filename, lineno, colno }));

const rejection = (reason: unknown) => {
  const event = new Event('unhandledrejection') as Event & { reason: unknown };
  event.reason = reason;
  window.dispatchEvent(event);
};

describe('errors', () => {
  it('sends an uncaught error with its message, source without query, line, column and a trimmed stack', () => {
    const tracker = mount(errors());
    const error = new TypeError('x is undefined');
    error.stack = `TypeError: x is undefined\n${Array.from({ length: 30 }, (_, i) => `    at f${i} (https://shop.test/app.js?token=abc:${i}:1)`).join('\n')}`;
    fire('Uncaught TypeError: x is undefined', error);
    const [call] = tracker.of('js_error');
    expect(call!.props).toMatchObject({
      kind: 'error',
      name: 'TypeError',
      message: 'Uncaught TypeError: x is undefined',
      source: 'https://shop.test/app.js',
      line: 12,
      col: 5,
    });
    const stack = (call!.props!.stack as string).split('\n');
    expect(stack).toHaveLength(11);
    expect(stack[1]).toBe('at f0 (https://shop.test/app.js:0:1)');
    expect(call!.props!.stack).not.toContain('token');
  });

  it('redacts personal data in the message and the stack', () => {
    const tracker = mount(errors());
    const error = new Error('no account for jane.doe@example.com, card 4111 1111 1111 1111');
    fire(error.message, error);
    const props = tracker.of('js_error')[0]!.props!;
    expect(JSON.stringify(props)).not.toMatch(/jane\.doe|4111 1111/);
    expect(props.message).toContain('[redacted:');
  });

  it('sends an unhandled rejection, with an Error or any other reason', () => {
    const tracker = mount(errors());
    rejection(new RangeError('too far'));
    rejection('plain string reason');
    expect(tracker.of('js_error').map((call) => call.props)).toEqual([
      expect.objectContaining({ kind: 'rejection', name: 'RangeError', message: 'too far' }),
      { kind: 'rejection', message: 'plain string reason' },
    ]);
  });

  it('sends each error once per page and at most `max` of them', () => {
    const tracker = mount(errors({ max: 3 }));
    for (let i = 0; i < 5; i++) fire('same', new Error('same'));
    expect(tracker.of('js_error')).toHaveLength(1);
    for (let i = 0; i < 10; i++) fire(`error ${i}`, new Error(`error ${i}`), 'https://shop.test/a.js', i + 1);
    expect(tracker.of('js_error')).toHaveLength(3);
  });

  it('ignores a resource that failed to load (an error event without a message)', () => {
    const tracker = mount(errors());
    window.dispatchEvent(new Event('error'));
    expect(tracker.calls).toEqual([]);
  });

  it('never reports in a loop: an error thrown while one is being sent is not sent', () => {
    const tracker = mount(errors());
    tracker.listeners.add(() => fire('from inside', new Error('from inside')));
    fire('outer', new Error('outer'));
    expect(tracker.of('js_error').map((call) => call.props!.message)).toEqual(['outer']);
  });

  it('stops listening on teardown', () => {
    const tracker = mount(errors());
    tracker.teardown();
    fire('late', new Error('late'));
    expect(tracker.calls).toEqual([]);
  });
});
