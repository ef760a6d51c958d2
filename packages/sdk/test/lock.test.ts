import { describe, expect, it } from 'vitest';
import { createFlushLock } from '../src/lock.js';

describe('createFlushLock without Web Locks', () => {
  it('runs the work (a browser without Web Locks has no lock to share: the backends store repeats once)', async () => {
    const lock = createFlushLock('l', undefined);
    await expect(lock.run(async () => 'sent')).resolves.toBe('sent');
  });
});

describe('createFlushLock with Web Locks', () => {
  it('runs the work once and passes its failure on, never retrying it unlocked', async () => {
    let calls = 0;
    const granting = { request: async (_name: string, _options: unknown, cb: (lock: unknown) => unknown) => cb({}) };
    const lock = createFlushLock('l', granting as unknown as LockManager);
    await expect(
      lock.run(async () => {
        calls++;
        throw new Error('send failed');
      }),
    ).rejects.toThrow('send failed');
    expect(calls).toBe(1);
  });

  it('skips the work while another tab holds the lock (ifAvailable)', async () => {
    const busy = {
      request: async (_name: string, options: { ifAvailable?: boolean }, cb: (lock: unknown) => unknown) =>
        cb(options.ifAvailable ? null : {}),
    };
    const lock = createFlushLock('l', busy as unknown as LockManager);
    await expect(lock.run(async () => 'sent')).resolves.toBeUndefined();
  });
});
