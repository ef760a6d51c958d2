import { MAX_DRAIN_BYTES } from '@trailmark/protocol';
import { describe, expect, it } from 'vitest';
import { checkKey, createKeyring, createRateLimiter, refuseUnread, validateSites } from '../src/index.js';

const keys = createKeyring(validateSites([{ id: 'shop', writeKey: 'pk_shop', readKey: 'sk_shop', origins: ['https://shop.example'] }]));
const open = () => createRateLimiter({ perSecond: 0, burst: 0 });
const request = (query: string, headers: Record<string, string> = {}) => new Request(`http://127.0.0.1/x${query}`, { headers });

describe('checkKey', () => {
  it('grants the write key for writing and the read key, as a header, for reading', () => {
    expect(checkKey(request('?key=pk_shop'), { keys, limiter: open(), need: 'write' })).toMatchObject({
      ok: true,
      grant: { kind: 'write' },
    });
    const read = request('', { authorization: 'Bearer sk_shop' });
    expect(checkKey(read, { keys, limiter: open(), need: 'read' })).toMatchObject({ ok: true, grant: { kind: 'read' } });
  });

  it.each([
    ['no key', request(''), 'write', 'unauthorized'],
    ['an unknown key', request('?key=pk_nobody'), 'write', 'unauthorized'],
    ['the read key in the URL, for reading', request('?key=sk_shop'), 'read', 'forbidden'],
    ['the read key in the URL, for writing', request('?key=sk_shop'), 'write', 'forbidden'],
    ['the read key as a header, for writing', request('', { 'x-trailmark-key': 'sk_shop' }), 'write', 'forbidden'],
    ['the write key, for reading', request('', { authorization: 'Bearer pk_shop' }), 'read', 'forbidden'],
    ['an origin the site does not allow', request('?key=pk_shop', { origin: 'https://evil.example' }), 'write', 'origin_not_allowed'],
  ] as const)('refuses %s', (_name, req, need, code) => {
    expect(checkKey(req, { keys, limiter: open(), need })).toMatchObject({ ok: false, code });
  });

  it('says why the read key may not travel in a URL', () => {
    const refused = checkKey(request('?key=sk_shop'), { keys, limiter: open(), need: 'read' });
    expect(refused.ok === false && refused.error).toMatch(/must not be sent in the URL.*Authorization: Bearer/);
  });

  it('answers past the rate with Retry-After, per key', () => {
    const limiter = createRateLimiter({ perSecond: 1, burst: 1, clock: () => 0 });
    expect(checkKey(request('?key=pk_shop'), { keys, limiter, need: 'write' }).ok).toBe(true);
    expect(checkKey(request('?key=pk_shop'), { keys, limiter, need: 'write' })).toMatchObject({
      ok: false,
      code: 'rate_limited',
      headers: { 'retry-after': '1' },
    });
  });
});

describe('refuseUnread', () => {
  const post = (bytes: number, length = String(bytes)) =>
    new Request('http://127.0.0.1/x', { method: 'POST', body: new Uint8Array(bytes), headers: { 'content-length': length } });

  it('reads a refused body to its end, so the connection stays usable', async () => {
    const req = post(1_500_000);
    const answer = await refuseUnread(req, new Response('{}', { status: 401 }));
    expect(answer.headers.get('connection')).toBeNull();
    expect(req.bodyUsed).toBe(true);
  });

  it('closes the connection past the drain bound instead of reading on', async () => {
    const answer = await refuseUnread(post(16, String(MAX_DRAIN_BYTES + 1)), new Response('{}', { status: 401 }));
    expect(answer.headers.get('connection')).toBe('close');
  });
});
