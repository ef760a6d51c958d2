import { describe, expect, it } from 'vitest';
import { clientAddress, storedIp } from '../src/client-ip.js';

describe('client IP', () => {
  it.each([
    ['203.0.113.77', 'truncate', '203.0.113.0'],
    ['::ffff:198.51.100.9', 'truncate', '198.51.100.0'],
    ['2001:db8:abcd:12:1:2:3:4', 'truncate', '2001:db8:abcd::'],
    ['2001:db8::1', 'truncate', '2001:db8:0::'],
    ['[::1]', 'truncate', '0:0:0::'],
    ['fe80::1%eth0', 'truncate', 'fe80:0:0::'],
    ['203.0.113.77', 'full', '203.0.113.77'],
    ['203.0.113.77', 'none', null],
    ['not an ip', 'truncate', null],
    ["1.2.3.4'; DROP TABLE x", 'truncate', null],
  ] as const)('%s stored as %s → %s', (input, mode, expected) => {
    expect(storedIp(input, mode)).toBe(expected);
  });

  it('takes the last address of a trusted proxy header (the one the proxy saw), else the socket peer', () => {
    const headers = new Headers({ 'x-forwarded-for': '6.6.6.6, 10.1.2.3' });
    expect(clientAddress(headers, '127.0.0.1', 'x-forwarded-for')).toBe('10.1.2.3');
    expect(clientAddress(headers, '127.0.0.1', undefined)).toBe('127.0.0.1');
    expect(clientAddress(new Headers(), '127.0.0.1', 'x-forwarded-for')).toBe('127.0.0.1');
  });
});
