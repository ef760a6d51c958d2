import { describe, expect, it } from 'vitest';
import { redactEvent, redactText, redactUrl, type TrailmarkEvent } from '../../src/index.js';

const ADDRESSES = [
  'jane.doe@example.com',
  'Jane+News@Example.CO.UK',
  'jürgen@bücher.de',
  'пользователь@пример.рф',
  'ann@xn--bcher-kva.de',
  'a_b-c@sub.example.org',
];
/** Once, twice and three times percent-encoded, and form-encoded. */
const ENCODINGS: Array<[string, (text: string) => string]> = [
  ['as written', (t) => t],
  ['percent-encoded', (t) => encodeURIComponent(t)],
  ['encoded twice', (t) => encodeURIComponent(encodeURIComponent(t))],
  ['encoded three times', (t) => encodeURIComponent(encodeURIComponent(encodeURIComponent(t)))],
];

describe('e-mail rule corpus', () => {
  for (const address of ADDRESSES) {
    for (const [name, encode] of ENCODINGS) {
      it(`redacts ${address} ${name} in a URL, a relative URL, a title and a prop`, () => {
        const value = encode(address);
        expect(redactUrl(`https://shop.example/?utm_campaign=${value}`)).toBe('https://shop.example/?utm_campaign=[redacted:email]');
        expect(redactUrl(`subscribe?email=${value}`)).toBe('subscribe?email=[redacted:email]');
        expect(redactUrl(`Welcome ${value}!`)).toBe('Welcome [redacted:email]!');
        const event = { event_id: 'e', type: 'x', url: '/', path: '/', utm_campaign: value, props: { note: value } };
        const out = redactEvent(event as unknown as TrailmarkEvent);
        expect([out.utm_campaign, out.props?.note]).toEqual(['[redacted:email]', '[redacted:email]']);
      });
    }
  }

  it('keeps words around an @ that are not an address', () => {
    for (const text of ['@handle', 'meet @ 5pm', 'a@b', 'price@home']) expect(redactText(text)).toBe(text);
  });
});
