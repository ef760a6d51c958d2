import { describe, expect, it } from 'vitest';
import { createFlushLock } from '../src/lock.js';

describe('createFlushLock without Web Locks', () => {
  it('lets one holder at a time run, through a lease in shared storage', async () => {
    let now = 1000;
    const a = createFlushLock('l', { locks: undefined, storage: localStorage, now: () => now });
    const b = createFlushLock('l', { locks: undefined, storage: localStorage, now: () => now });
    let release: () => void = () => undefined;
    const running = a.run(
      () =>
        new Promise<string>((resolve) => {
          release = () => resolve('a');
        }),
    );
    await expect(b.run(async () => 'b')).resolves.toBeUndefined();
    release();
    await expect(running).resolves.toBe('a');
    await expect(b.run(async () => 'b')).resolves.toBe('b');
    // A holder that died without releasing loses the lease when it expires.
    localStorage.setItem('l', `someone|${now + 5000}`);
    await expect(a.run(async () => 'a')).resolves.toBeUndefined();
    now += 6000;
    await expect(a.run(async () => 'a')).resolves.toBe('a');
  });
});

describe('createFlushLock with Web Locks', () => {
  it('runs the work once and passes its failure on, never retrying it unlocked', async () => {
    let calls = 0;
    const granting = { request: async (_name: string, _options: unknown, cb: (lock: unknown) => unknown) => cb({}) };
    const lock = createFlushLock('l', { locks: granting as unknown as LockManager });
    await expect(
      lock.run(async () => {
        calls++;
        throw new Error('send failed');
      }),
    ).rejects.toThrow('send failed');
    expect(calls).toBe(1);
  });
});

describe('createFlushLock on storage that refuses writes', () => {
  const storage = (writes: number) => {
    const items = new Map<string, string>();
    return {
      getItem: (key: string) => items.get(key) ?? null,
      setItem: (key: string, value: string) => {
        if (writes-- <= 0) throw new DOMException('quota', 'QuotaExceededError');
        items.set(key, value);
      },
      removeItem: (key: string) => items.delete(key),
    } as unknown as Storage;
  };

  it('runs the work rather than never when no lease can be written', async () => {
    const lock = createFlushLock('l', { locks: undefined, storage: storage(0) });
    await expect(lock.run(async () => 'sent')).resolves.toBe('sent');
  });

  it('keeps the work going when renewing the lease fails (a timer that threw would reach the page)', async () => {
    const lock = createFlushLock('l', { locks: undefined, storage: storage(1), leaseMs: 20 });
    // Renewals every 10 ms during 50 ms of work: all refused, none thrown (vitest fails the run on an uncaught error).
    await expect(lock.run(() => new Promise((done) => setTimeout(() => done('sent'), 50)))).resolves.toBe('sent');
  });
});
