import { describe, expect, it } from 'vitest';
import { makeEvent, post, read, start } from './helpers.js';

describe('rate limiting', () => {
  it('answers 429 with Retry-After past a key’s burst, per key, and recovers as tokens refill', async () => {
    let now = Date.now();
    const server = await start({ rateLimit: { perSecond: 1, burst: 3 }, clock: () => now });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await post(server.url, '/v1/batch', { events: [makeEvent({ ts: now })] })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await post(server.url, '/v1/batch', { events: [makeEvent({ ts: now })] });
      expect(limited.headers.get('retry-after')).toBe('1');
      expect(((await limited.json()) as { code: string }).code).toBe('rate_limited');
      // Another key has its own bucket.
      expect((await read(server.url, '/api/analytics/track')).status).toBe(200);
      now += 1500;
      expect((await post(server.url, '/v1/batch', { events: [makeEvent({ ts: now })] })).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
