import { describe, expect, it } from 'vitest';
import { createSlots } from '../src/slots.js';

describe('stats slots', () => {
  it('hands a given-back place to the longest waiter, and refuses when the line is full', async () => {
    const slots = createSlots(1, 1);
    const first = await slots.take(1000);
    expect(first).toBeTypeOf('function');
    const second = slots.take(1000);
    expect(await slots.take(1000), 'a second waiter past maxWaiting').toBeUndefined();
    expect([slots.busy, slots.waiting]).toEqual([1, 1]);
    first?.();
    first?.();
    const handed = await second;
    expect(handed).toBeTypeOf('function');
    // Released twice, the first place was given back once: the second caller holds the only place.
    expect([slots.busy, slots.waiting]).toEqual([1, 0]);
    handed?.();
    expect(slots.busy).toBe(0);
  });

  it('gives up on a place that does not come free within the wait', async () => {
    const slots = createSlots(1, 4);
    const held = await slots.take(1000);
    expect(await slots.take(20)).toBeUndefined();
    expect(slots.waiting).toBe(0);
    held?.();
    expect(await slots.take(20)).toBeTypeOf('function');
  });
});
