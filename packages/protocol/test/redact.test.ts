import { describe, expect, it } from 'vitest';
import {
  createRedactor,
  ibanValid,
  isSensitiveField,
  luhnValid,
  redactEvent,
  redactText,
  redactUrl,
  type TrailmarkEvent,
} from '../src/index.js';

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
    // Digits written beside a card (its expiry, its code, a quantity) must not hide it.
    ['4242 4242 4242 4242 12/27', '[redacted:card] 12/27'],
    ['4111 1111 1111 1111 05 27', '[redacted:card] 05 27'],
    ['4242424242424242 123', '[redacted:card] 123'],
    ['qty 2 4111 1111 1111 1111', 'qty 2 [redacted:card]'],
    ['4111 1111 1111 1111 5555 5555 5555 4444', '[redacted:card] [redacted:card]'],
    // An IBAN followed by more words.
    ['IBAN DE89 3704 0044 0532 0130 00 thanks', 'IBAN [redacted:iban] thanks'],
    ['NL91ABNA0417164300 okay', '[redacted:iban] okay'],
    ['GB82 WEST 1234 5698 7654 32 from Jane', '[redacted:iban] from Jane'],
    // Phone numbers as people write them.
    ['+44 7911 123456', '[redacted:phone]'],
    ['07911 123456', '[redacted:phone]'],
    ['07911123456', '[redacted:phone]'],
    ['+49 151 12345678', '[redacted:phone]'],
    ['030 12345678', '[redacted:phone]'],
    ['+33 6 12 34 56 78', '[redacted:phone]'],
    ['call 2125550123', 'call [redacted:phone]'],
    ['call 212.555.0123', 'call [redacted:phone]'],
    ['call +4915112345678', 'call [redacted:phone]'],
  ])('redacts %s', (input, expected) => {
    expect(redactText(input)).toBe(expected);
  });

  it.each([
    ['order 4111 1111 1111 1112', 'digits that fail Luhn are not a card'],
    ['I am 42 years old', 'a plain number'],
    ['due 2026-11-22', 'a date'],
    ['due 29.11.2026', 'a date written with dots'],
    ['order 123456789', 'a bare run of digits is more often an id than a phone number'],
    ['/orders/1732800000', 'a timestamp in a path (ten digits, but not a North American number)'],
    ['product AB12CDEF34567890 okay', 'letters and digits that fail the IBAN check'],
    ['1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1', 'single digits, which no card is written in'],
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
    [{ type: 'text', name: 'cc_number' }, true],
    [{ type: 'text', name: 'cardNumber' }, true],
    [{ type: 'text', name: 'cc_exp' }, true],
    [{ type: 'text', name: 'security_code' }, true],
    [{ type: 'text', name: 'pin_code' }, true],
    [{ type: 'text', name: 'pinCode' }, true],
    [{ type: 'text', id: 'userPin' }, true],
    [{ type: 'text', name: 'PIN' }, true],
    [{ type: 'text', name: 'account_number' }, true],
    [{ type: 'text', autocomplete: 'current-password webauthn' }, true],
    [{ type: 'text', autocomplete: 'section-pay billing cc-number' }, true],
    [{ type: 'text', name: 'shipping' }, false],
    [{ type: 'text', name: 'opinion' }, false],
    [{ type: 'text', name: 'spinner_speed' }, false],
    [{ type: 'email', name: 'email' }, false],
    [{ type: 'text', name: 'company' }, false],
  ])('%o → %s', (field, expected) => {
    expect(isSensitiveField(field)).toBe(expected);
  });
});

describe("redactEvent's fast path", () => {
  // redactEvent skips text that cannot match the default rules: it must always agree with the full rules.
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
    // The tables the receiver's and the D1 Worker's own pre-checks were tested with, before this one replaced them.
    'https://shop.example/products/trail-shoes-12?utm_source=newsletter',
    'card 4111 1111 1111 1111 and 4111-1111-1111-1112',
    'call +44 20 7946 0958 or (030) 1234567',
    'IBAN-like with few digits: GB82WESTABCDEFGHIJ',
    'order 2026-11-22, room 12',
    'DE89 3704 0044 0532 0130 00',
    '(02) 9876 5432',
    '0412 345 678',
    '+4915112345678',
    'order 12345, item 6',
    '4242 4242 4242 4242 12/27',
    'NL91ABNA0417164300 okay',
    '07911 123456',
    '+33 6 12 34 56 78',
  ])('%j gives what the full rules give', (text) => {
    const event = { event_id: '0193a2b4-0000-7000-8000-00000000000a', type: 'custom', url: text, path: text, props: { text } };
    const redacted = redactEvent(event as unknown as TrailmarkEvent);
    expect([redacted.url, redacted.path, redacted.props?.text]).toEqual([redactText(text), redactText(text), redactText(text)]);
  });
});

describe('redactUrl', () => {
  it.each([
    // The URL: the e-mail address was stored percent-encoded.
    [
      'https://shop.example/?email=jane.doe%40example.com&cc=4242424242424242',
      'https://shop.example/?email=[redacted:email]&cc=[redacted]',
    ],
    ['https://shop.example/?email=JANE.DOE%40EXAMPLE.COM', 'https://shop.example/?email=[redacted:email]'],
    // Encoded twice and three times (a URL passed through two redirects).
    ['https://shop.example/?email=jane.doe%2540example.com', 'https://shop.example/?email=[redacted:email]'],
    ['https://shop.example/?email=jane.doe%252540example.com', 'https://shop.example/?email=[redacted:email]'],
    // `+`: a plus address encoded, half encoded, and `+` as form encoding's space.
    ['https://shop.example/?email=jane%2Bnews%40example.com&x=1', 'https://shop.example/?email=[redacted:email]&x=1'],
    ['https://shop.example/?email=jane+news%40example.com&x=1', 'https://shop.example/?email=[redacted:email]&x=1'],
    ['https://shop.example/?q=call+030+1234+5678&page=2', 'https://shop.example/?q=call+[redacted:phone]&page=2'],
    ['https://shop.example/?q=card%204242%204242%204242%204242', 'https://shop.example/?q=card+[redacted:card]'],
    // Path segments, and a path alone (the event's `path`).
    ['https://shop.example/users/jane.doe%40example.com/orders?page=2', 'https://shop.example/users/[redacted:email]/orders?page=2'],
    ['/users/jane.doe%40example.com', '/users/[redacted:email]'],
    ['/cards/4242%204242%204242%204242/', '/cards/[redacted:card]/'],
    // A URL inside a query value, its own query encoded once more; the rest of it stays encoded as it was.
    [
      'https://shop.example/login?next=https%3A%2F%2Fshop.example%2Fcart%3Femail%3Djane%2540example.com%26step%3D2',
      'https://shop.example/login?next=https%3A%2F%2Fshop.example%2Fcart%3Femail%3D[redacted:email]%26step%3D2',
    ],
    // A hash route with its own query, and a name (not only a value) that is an address.
    ['https://shop.example/#/reset?email=jane%40example.com', 'https://shop.example/#/reset?email=[redacted:email]'],
    ['https://shop.example/?jane%40example.com=1', 'https://shop.example/?[redacted:email]=1'],
    // Text in the same component keeps its meaning, encoded again: a space as `+` in a query, `%20` in a path.
    ['https://shop.example/?note=mail%20jane%40example.com%20today', 'https://shop.example/?note=mail+[redacted:email]+today'],
    ['https://shop.example/a%20b/mail%20jane%40example.com', 'https://shop.example/a%20b/mail%20[redacted:email]'],
    // Escapes that are not UTF-8 do not stop the decoding of the rest.
    ['https://shop.example/?e=%FF%FEjane%40example.com', 'https://shop.example/?e=[redacted:email]'],
  ])('redacts %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  it.each([
    'https://shop.example/products/trail%20shoes?utm_source=news%20letter&utm_campaign=spring+sale&x=%E2%9C%93',
    'https://shop.example/?q=50%25+off&ref=%2Fhome%3Fa%3D1',
    'https://shop.example/?broken=%zz&half=%E0%A4&lone=%',
    '/search?q=a+b+c',
    'https://shop.example/?order=12345&item=6#top',
  ])('keeps %s byte for byte: decoding finds nothing in it', (url) => {
    expect(redactUrl(url)).toBe(url);
  });

  it('stores a URL every component of which still decodes, and decodes to the redacted text', () => {
    const out = redactUrl('https://shop.example/p%C3%A4th/x?name=J%C3%BCrgen%20jane%40example.com&q=%E2%9C%93+ok%26more&c=%25');
    expect(out).toBe('https://shop.example/p%C3%A4th/x?name=J%C3%BCrgen+[redacted:email]&q=%E2%9C%93+ok%26more&c=%25');
    const params = new URL(out).searchParams;
    expect([params.get('name'), params.get('q'), params.get('c')]).toEqual(['Jürgen [redacted:email]', '✓ ok&more', '%']);
  });
});

describe('redactEvent', () => {
  it('decodes URLs, paths and referrers before redacting them', () => {
    const event = {
      event_id: '0193a2b4-0000-7000-8000-00000000000a',
      type: 'pageview',
      url: 'https://shop.example/u/jane%40example.com?n=4242%204242%204242%204242',
      path: '/u/jane%40example.com',
      referrer: 'https://mail.example/?to=ann%2540example.com',
      title: 'Welcome jane%40example.com',
    } as unknown as TrailmarkEvent;
    const out = redactEvent(event);
    expect([out.url, out.path, out.referrer]).toEqual([
      'https://shop.example/u/[redacted:email]?n=[redacted:card]',
      '/u/[redacted:email]',
      'https://mail.example/?to=[redacted:email]',
    ]);
    // A title is decoded too: a careless page writes a query value into it.
    expect(out.title).toBe('Welcome [redacted:email]');
  });

  it('decodes every prop: URLs (a clicked link) and text', () => {
    const event = {
      event_id: '0193a2b4-0000-7000-8000-00000000000a',
      type: 'click',
      url: 'https://shop.example/',
      path: '/',
      props: {
        href: 'https://shop.example/unsubscribe?email=jane%40example.com',
        next: '/account/jane%2540example.com',
        text: 'write to jane%40example.com',
      },
    } as unknown as TrailmarkEvent;
    expect(redactEvent(event).props).toEqual({
      href: 'https://shop.example/unsubscribe?email=[redacted:email]',
      next: '/account/[redacted:email]',
      text: 'write to [redacted:email]',
    });
  });

  it('redacts every free-text field and every string in props, at any depth, keeping keys as data', () => {
    const event = {
      event_id: '0193a2b4-0000-7000-8000-00000000000a',
      type: 'custom',
      ts: 1,
      site_id: 's',
      visitor_id: 'v',
      session_id: 'x',
      seq: 1,
      url: 'https://shop.example/?email=jane@example.com',
      path: '/',
      title: 'Call +44 20 7946 0958',
      referrer: 'https://mail.example/?to=ann@example.com',
      props: JSON.parse('{"note":"card 4111 1111 1111 1111","list":["jane@example.com",3],"deep":{"__proto__":"ann@example.com"}}'),
    } as TrailmarkEvent;
    const out = redactEvent(event);
    expect(out.url).toBe('https://shop.example/?email=[redacted:email]');
    expect(out.title).toBe('Call [redacted:phone]');
    expect(out.referrer).toBe('https://mail.example/?to=[redacted:email]');
    expect(out.props).toEqual(
      JSON.parse('{"note":"card [redacted:card]","list":["[redacted:email]",3],"deep":{"__proto__":"[redacted:email]"}}'),
    );
    expect(Object.getPrototypeOf(out.props!.deep)).toBe(Object.prototype);
    expect(event.title).toBe('Call +44 20 7946 0958');
  });

  it('returns a clean event as it came, and copies only the parts a rule changed, never writing to its input', () => {
    const clean = {
      event_id: '0193a2b4-0000-7000-8000-00000000000a',
      type: 'click',
      url: 'https://shop.example/p?utm_source=news',
      path: '/p',
      title: 'Trail shoes – Shop',
      props: { text: 'Add to cart', tags: ['a', 'b'], deep: { n: 1 } },
    } as unknown as TrailmarkEvent;
    expect(createRedactor().event(clean)).toBe(clean);
    const raw = JSON.parse(
      '{"__proto__":"keep","text":"Add to cart","tags":["a","jane@example.com"],"deep":{"n":1},"jane@example.com":"x"}',
    );
    const event = { ...clean, props: raw } as TrailmarkEvent;
    const out = createRedactor().event(event);
    expect(out).not.toBe(event);
    expect(out.url).toBe(clean.url);
    expect(out.props).toEqual(
      JSON.parse('{"__proto__":"keep","text":"Add to cart","tags":["a","[redacted:email]"],"deep":{"n":1},"[redacted:email]":"x"}'),
    );
    expect(Object.keys(out.props!)).toEqual(['__proto__', 'text', 'tags', 'deep', '[redacted:email]']);
    expect(Object.getPrototypeOf(out.props!)).toBe(Object.prototype);
    expect(out.props!.deep).toBe(raw.deep);
    expect(raw.tags).toEqual(['a', 'jane@example.com']);
  });
});
