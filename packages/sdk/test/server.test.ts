// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest';
import { createReceiver, type Receiver } from '../../receiver/src/index.js';
import { serverClient, signVisit, verifyVisit } from '../src/server.js';
import { referenceReceiver } from '../src/transports/backends.js';

const SECRET = 'a-site-servers-own-secret-of-32-chars-or-more';
const VISIT = {
  siteId: 'demo',
  visitorId: '0193a1b2-0000-7000-8000-000000000001',
  sessionId: '0193a1b2-0000-7000-8000-000000000002',
  userId: 'alice',
  url: 'https://shop.example/checkout?step=2',
  path: '/checkout',
};
const NOW = Date.now();

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

/** The reference receiver in memory, reached through its fetch handler: the real admission path, no socket. */
function backend() {
  receiver = createReceiver({
    sites: [{ id: 'demo', writeKey: 'pk_demo', readKey: 'sk_demo', origins: ['https://shop.example'] }],
    memory: true,
    dev: true,
    rateLimit: { perSecond: 0, burst: 1 },
    log: () => undefined,
  });
  const server = receiver;
  const transport = referenceReceiver({
    endpoint: 'http://receiver.test',
    key: 'pk_demo',
    fetch: (input, init) => server.fetch(new Request(input as string, { ...init, keepalive: false })),
  });
  const stored = async () =>
    (
      (await (await server.fetch(new Request('http://receiver.test/_trailmark/events?site_id=demo'))).json()) as {
        events: Array<Record<string, unknown>>;
      }
    ).events;
  return { transport, stored };
}

describe('visit tokens', () => {
  it('round-trips a visit within its lifetime and refuses it after', async () => {
    const token = await signVisit(VISIT, SECRET, { ttlMs: 60_000, now: NOW });
    expect(await verifyVisit(token, SECRET, NOW + 59_000)).toEqual(VISIT);
    expect(await verifyVisit(token, SECRET, NOW + 60_000)).toBeUndefined();
  });

  it('refuses a token signed with another secret, a changed payload, and garbage', async () => {
    const token = await signVisit(VISIT, SECRET, { now: NOW });
    const [payload, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...VISIT, visitorId: 'someone-else', exp: NOW + 1e9 })).toString('base64url');
    for (const bad of [
      await signVisit(VISIT, `${SECRET}-other`, { now: NOW }),
      `${forged}.${signature}`,
      `${payload}.${signature}.x`,
      'not a token',
      '',
      'x'.repeat(5000),
    ])
      expect(await verifyVisit(bad, SECRET, NOW)).toBeUndefined();
  });

  it('refuses a secret under 32 characters, and ids that are not ids', async () => {
    await expect(signVisit(VISIT, 'short')).rejects.toThrow(/at least 32/);
    await expect(signVisit({ ...VISIT, visitorId: '' }, SECRET)).rejects.toThrow(/ids/);
  });
});

describe('serverClient', () => {
  it('sends an event into the visit, stored by the reference receiver once however often it is sent', async () => {
    const { transport, stored } = backend();
    const client = serverClient({ transport, secret: SECRET });
    const token = await signVisit(VISIT, SECRET);
    const first = await client.track(token, 'email_sent', { template: 'receipt' }, 'msg-123@mail');
    const again = await client.track(token, 'email_sent', { template: 'receipt' }, 'msg-123@mail');
    expect(first).toEqual({ ok: true, event_id: expect.stringMatching(/^[0-9a-f-]{8}-[0-9a-f]{4}-8/) });
    expect(again).toEqual(first);
    const events = await stored();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'email_sent',
      visitor_id: VISIT.visitorId,
      session_id: VISIT.sessionId,
      user_id: 'alice',
      path: '/checkout',
      props: { template: 'receipt' },
    });
  });

  it('redacts its props at admission like every string', async () => {
    const { transport, stored } = backend();
    const client = serverClient({ transport, secret: SECRET });
    const token = await signVisit(VISIT, SECRET);
    expect(await client.track(token, 'email_sent', { to: 'jane.doe@example.com' }, 'msg-1')).toMatchObject({ ok: true });
    expect(JSON.stringify(await stored())).not.toContain('jane.doe');
  });

  it('says why it sent nothing: a bad token, type, key, props or revenue', async () => {
    const { transport, stored } = backend();
    const client = serverClient({ transport, secret: SECRET });
    const token = await signVisit(VISIT, SECRET);
    const expired = await signVisit(VISIT, SECRET, { ttlMs: 1, now: NOW - 10 });
    expect(await client.track(expired, 'a', undefined, 'k')).toMatchObject({ ok: false, reason: 'token' });
    expect(await client.track(token, '1bad', undefined, 'k')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await client.track(token, 'a', undefined, '')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await client.track(token, 'a', { s: 'x'.repeat(2000) }, 'k')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await client.track(token, 'payment', { revenue: { amount: '9', currency: 'EUR' } } as never, 'k')).toMatchObject({
      ok: false,
      reason: 'invalid',
    });
    expect(await stored()).toEqual([]);
  });

  it('reports what the backend answered when it did not store the event', async () => {
    const client = serverClient({
      transport: { send: async () => ({ status: 'retry', afterMs: 5000 }) },
      secret: SECRET,
    });
    const token = await signVisit(VISIT, SECRET);
    expect(await client.track(token, 'a', undefined, 'k')).toEqual({
      ok: false,
      reason: 'transport',
      result: { status: 'retry', afterMs: 5000 },
    });
  });
});
