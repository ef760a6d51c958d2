import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/index.js';

describe('URL rule corpus', () => {
  it.each([
    ['https://user:secret@shop.example/a?b=1', 'https://shop.example/a?b=1'],
    ['https://jane%40example.com:pw@shop.example/', 'https://shop.example/'],
    ['//user:secret@shop.example/x', '//shop.example/x'],
    ['ftp://admin@files.example/', 'ftp://files.example/'],
    ['see https://user:secret@shop.example/ now', 'see https://shop.example/ now'],
  ])('removes the userinfo of %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  it.each([
    'token',
    'access_token',
    'id_token',
    'refresh_token',
    'code',
    'password',
    'pw',
    'key',
    'api_key',
    'sig',
    'signature',
    'session',
    'sessionid',
    'secret',
    'X-Amz-Signature',
  ])('replaces the value of the secret parameter %s in a query, a relative URL and a fragment', (name) => {
    expect(redactUrl(`https://shop.example/cb?${name}=abc123&page=2`)).toBe(`https://shop.example/cb?${name}=[redacted]&page=2`);
    expect(redactUrl(`cb?x=1&${name}=abc123`)).toBe(`cb?x=1&${name}=[redacted]`);
    expect(redactUrl(`https://shop.example/cb#${name}=abc123&state=s`)).toBe(`https://shop.example/cb#${name}=[redacted]&state=s`);
  });

  it('finds a secret parameter inside an encoded URL in a query value', () => {
    const next = encodeURIComponent('https://shop.example/reset?token=abc123');
    expect(redactUrl(`/login?next=${next}`)).toBe(
      `/login?next=${encodeURIComponent('https://shop.example/reset?token=').replace(/%3D$/, '%3D')}[redacted]`,
    );
  });

  it.each([
    'https://shop.example/?utm_source=news&page=2',
    '/search?q=shoes+red',
    'https://shop.example/#section-2',
    'mailto-free text with = sign',
  ])('keeps %s', (url) => {
    expect(redactUrl(url)).toBe(url);
  });
});
