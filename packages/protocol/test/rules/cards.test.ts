import { describe, expect, it } from 'vitest';
import { redactText, redactUrl } from '../../src/index.js';

/** Test card numbers of each network, written with every separator people and pages use. */
const CARDS = ['4111111111111111', '5555555555554444', '378282246310005', '6011111111111117', '3566002020360505', '4000056655665556'];
const SEPARATORS = ['', ' ', '-', '.', '/'];
const written = (card: string, sep: string) => card.replace(/(\d{4})(?=\d)/g, `$1${sep}`);

describe('card rule corpus', () => {
  for (const card of CARDS) {
    for (const sep of SEPARATORS) {
      const text = written(card, sep);
      it(`redacts ${text} in text and in a URL`, () => {
        expect(redactText(`paid with ${text} today`)).toBe('paid with [redacted:card] today');
        expect(redactUrl(`https://shop.example/pay?n=${encodeURIComponent(text)}`)).toBe('https://shop.example/pay?n=[redacted:card]');
      });
    }
  }

  it.each([
    ['4111.1111.1111.1112', 'digits that fail Luhn'],
    ['10.0.19045.3570', 'a version number'],
    ['192.168.100.200', 'an IP address'],
    ['2026/12/07 10:30', 'a date'],
    ['29.11.2026', 'a date with dots'],
  ])('does not name %s a card (%s)', (text) => {
    expect(redactText(text)).not.toContain('[redacted:card]');
  });
});
