import { describe, expect, it } from 'vitest';
import { lowerId, oncePerId } from '../src/index.js';

describe('event ids', () => {
  it('treats UUIDs in another letter case as one event, keeping the first spelling', () => {
    const a = { event_id: '0193A2B4-0000-7000-8000-00000000000A', n: 1 };
    const b = { event_id: '0193a2b4-0000-7000-8000-00000000000a', n: 2 };
    const c = { event_id: '0193a2b4-0000-7000-8000-00000000000b', n: 3 };
    expect(oncePerId([a, b, c])).toEqual({ unique: [a, c], repeats: [b.event_id] });
  });

  it('lowers an id for storage and leaves an already lower one as it is', () => {
    const upper = { event_id: 'ABC-DEF', x: 1 };
    expect(lowerId(upper)).toEqual({ event_id: 'abc-def', x: 1 });
    const lower = { event_id: 'abc' };
    expect(lowerId(lower)).toBe(lower);
  });
});
