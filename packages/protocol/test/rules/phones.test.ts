import { describe, expect, it } from 'vitest';
import { redactText, redactUrl } from '../../src/index.js';

const PHONES = [
  '+44 20 7946 0958',
  '+49 151 12345678',
  '+4915112345678',
  '(555) 123-4567',
  '07911 123456',
  '030 12345678',
  '+33 6 12 34 56 78',
  '212.555.0123',
  '2125550123',
];

describe('phone rule corpus', () => {
  for (const phone of PHONES) {
    it(`redacts ${phone} in text and form-encoded in a URL`, () => {
      expect(redactText(`call ${phone} now`)).toBe('call [redacted:phone] now');
      expect(redactUrl(`/contact?tel=${encodeURIComponent(phone).replace(/%20/g, '+')}`)).toBe('/contact?tel=[redacted:phone]');
    });
  }

  it('redacts an SSN as written', () => {
    expect(redactText('ssn 078-05-1120')).toBe('ssn [redacted:ssn]');
  });

  it.each(['order 123456789', '/orders/1732800000', 'I am 42', 'room 12, floor 3'])('keeps %s', (text) => {
    expect(redactText(text)).toBe(text);
  });
});
