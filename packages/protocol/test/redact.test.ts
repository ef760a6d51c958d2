import { describe, expect, it } from 'vitest';
import { DEFAULT_REDACTION_RULES, ibanValid, isSensitiveField, luhnValid, redactText } from '../src/index.js';

describe('redactText', () => {
  it.each([
    ['card 4111 1111 1111 1111 ok', 'card [redacted:card] ok'],
    ['card 4111-1111-1111-1111', 'card [redacted:card]'],
    ['amex 378282246310005', 'amex [redacted:card]'],
    ['mail me at jane.doe+x@example.co.uk', 'mail me at [redacted:email]'],
    ['iban DE89 3704 0044 0532 0130 00.', 'iban [redacted:iban].'],
    ['ssn 078-05-1120', 'ssn [redacted:ssn]'],
    ['call +44 20 7946 0958', 'call [redacted:phone]'],
    ['call (555) 123-4567', 'call [redacted:phone]'],
    // Its 13 digits pass Luhn: a phone number, not a card.
    ['call +49 151 1234 5678', 'call [redacted:phone]'],
    ['call 0049 151 1234 5678 now', 'call [redacted:phone] now'],
    ['card 5555 5555 5555 4444, call +49 151 1234 5678', 'card [redacted:card], call [redacted:phone]'],
  ])('redacts %s', (input, expected) => {
    expect(redactText(input)).toBe(expected);
  });

  it.each([
    ['order 4111 1111 1111 1112', 'digits that fail Luhn are not a card'],
    ['I am 42 years old', 'a plain number'],
    ['due 2026-11-22', 'a date'],
  ])('keeps %s (%s)', (input) => {
    expect(redactText(input)).toBe(input);
  });

  it('takes extra rules from the caller', () => {
    const rules = [{ name: 'order', pattern: /ORD-\d+/g }];
    expect(redactText('see ORD-123', rules)).toBe('see [redacted:order]');
  });
});

it('does not name an IBAN with a bad checksum as one', () => {
  expect(redactText('DE00 3704 0044 0532 0130 00')).not.toContain('[redacted:iban]');
});

describe('checksums', () => {
  it('validates Luhn and IBAN', () => {
    expect(luhnValid('4242424242424242')).toBe(true);
    expect(luhnValid('4242424242424241')).toBe(false);
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(ibanValid('GB82 WEST 1234 5698 7654 33')).toBe(false);
  });
});

describe('isSensitiveField', () => {
  it.each([
    [{ type: 'password', name: 'x' }, true],
    [{ type: 'hidden', name: 'plan' }, true],
    [{ type: 'text', autocomplete: 'cc-number' }, true],
    [{ type: 'text', autocomplete: 'shipping one-time-code' }, true],
    [{ type: 'text', name: 'card_number' }, true],
    [{ type: 'text', name: 'user_iban' }, true],
    [{ type: 'text', id: 'cvv' }, true],
    [{ type: 'text', name: 'api_token' }, true],
    [{ type: 'email', name: 'email' }, false],
    [{ type: 'text', name: 'company' }, false],
  ])('%o → %s', (field, expected) => {
    expect(isSensitiveField(field)).toBe(expected);
  });
});

describe('redactText fast path', () => {
  // A copy of the default rules skips the pre-check, so the two spellings must always agree.
  const slow = [...DEFAULT_REDACTION_RULES];
  it.each([
    'plain words only',
    '/pricing?plan=pro',
    'jane@example.com',
    'card 4111 1111 1111 1111',
    'call +49 151 1234 5678',
    'ssn 123-45-6789',
    'GB82 WEST 1234 5698 7654 32',
    'de89370400440532013000',
    'order 123456',
    'order 1234567',
    'v2 release 2026-11-29',
    '',
  ])('%j gives what the full rules give', (text) => {
    expect(redactText(text)).toBe(redactText(text, slow));
  });
});
