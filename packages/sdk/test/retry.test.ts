import { describe, expect, it } from 'vitest';
import { backoffMs, classifyResponse, retryAfterMs } from '../src/index.js';

describe('classifyResponse: the one retry table', () => {
  it.each([
    [200, 'ok'],
    [204, 'ok'],
    [0, 'retry'],
    [408, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [504, 'retry'],
    [501, 'drop'],
    [505, 'drop'],
    [413, 'split'],
    [400, 'drop'],
    [401, 'drop'],
    [403, 'drop'],
    [404, 'drop'],
    [422, 'drop'],
  ])('%i → %s', (status, expected) => {
    expect(classifyResponse(status).status).toBe(expected);
  });

  it('honours Retry-After in seconds and as a date', () => {
    expect(classifyResponse(429, '7')).toEqual({ status: 'retry', afterMs: 7000, reason: 'http 429' });
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    expect(retryAfterMs(inTenSeconds)).toBeGreaterThan(8000);
    expect(retryAfterMs('soon')).toBeUndefined();
  });

  it('passes the server’s per-event rejections and error text back', () => {
    const body = JSON.stringify({ ok: true, accepted: [], duplicates: [], rejected: [{ index: 0, event_id: 'x', reason: 'bad' }] });
    expect(classifyResponse(200, null, body)).toEqual({ status: 'ok', rejected: [{ index: 0, event_id: 'x', reason: 'bad' }] });
    expect(classifyResponse(401, null, '{"ok":false,"error":"unknown key"}')).toEqual({ status: 'drop', reason: 'http 401: unknown key' });
  });
});

describe('backoffMs', () => {
  it('grows exponentially with jitter and stays under the cap', () => {
    expect(backoffMs(0, () => 1)).toBe(1000);
    expect(backoffMs(3, () => 1)).toBe(8000);
    expect(backoffMs(3, () => 0)).toBe(4000);
    expect(backoffMs(50, () => 1)).toBe(300_000);
  });
});
