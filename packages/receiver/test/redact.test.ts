import { DEFAULT_REDACTION_RULES, redactText } from '@trailmark/protocol';
import { describe, expect, it } from 'vitest';
import { redact } from '../src/redact-event.js';

describe('server-side redaction', () => {
  const samples = [
    'plain text with no numbers',
    'https://shop.example/products/trail-shoes-12?utm_source=newsletter',
    'mail ann@example.com please',
    'card 4111 1111 1111 1111 and 4111-1111-1111-1112',
    'call +44 20 7946 0958 or (030) 1234567',
    'ssn 123-45-6789',
    'iban GB82 WEST 1234 5698 7654 32',
    'IBAN-like with few digits: GB82WESTABCDEFGHIJ',
    'order 2026-11-22, room 12',
    '',
  ];
  it.each(samples)('gives the same result as redactText for %j', (text) => {
    expect(redact(text)).toBe(redactText(text, DEFAULT_REDACTION_RULES));
  });
});
