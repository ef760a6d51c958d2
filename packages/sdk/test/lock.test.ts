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
