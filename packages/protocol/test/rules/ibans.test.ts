import { describe, expect, it } from 'vitest';
import { ibanValid, redactText, redactUrl } from '../../src/index.js';

const IBANS = [
  'DE89370400440532013000',
  'GB82WEST12345698765432',
  'NL91ABNA0417164300',
  'FR1420041010050500013M02606',
  'ES9121000418450200051332',
];
const SPACINGS: Array<[string, (iban: string) => string]> = [
  ['none', (iban) => iban],
  ['groups of 4', (iban) => iban.replace(/(.{4})(?=.)/g, '$1 ')],
  ['dashes', (iban) => iban.replace(/(.{4})(?=.)/g, '$1-')],
  ['lower case', (iban) => iban.toLowerCase().replace(/(.{4})(?=.)/g, '$1 ')],
];

describe('IBAN rule corpus', () => {
  for (const iban of IBANS) {
    for (const [name, write] of SPACINGS) {
      it(`redacts ${iban} written with ${name}`, () => {
        expect(redactText(`pay to ${write(iban)} thanks`)).toBe('pay to [redacted:iban] thanks');
        expect(redactUrl(`/transfer?to=${encodeURIComponent(write(iban))}`)).toBe('/transfer?to=[redacted:iban]');
      });
    }
  }

  it('keeps letters and digits that fail mod 97', () => {
    expect(ibanValid('DE00370400440532013000')).toBe(false);
    expect(redactText('product AB12CDEF34567890 okay')).toBe('product AB12CDEF34567890 okay');
  });
});
