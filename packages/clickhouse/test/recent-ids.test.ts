import { describe, expect, it } from 'vitest';
import { recentIds } from '../src/recent-ids.js';

describe('recentIds', () => {
  it('remembers ids per site, forgets the oldest past its bound, and keeps the bound across sites', () => {
    const recent = recentIds(3);
    recent.add('a', ['1', '2']);
    recent.add('b', ['1']);
    expect([recent.has('a', '1'), recent.has('b', '1'), recent.has('b', '2')]).toEqual([true, true, false]);
    recent.add('a', ['3']);
    // Four ids for a bound of three: site a's oldest went.
    expect(['1', '2', '3'].map((id) => recent.has('a', id))).toEqual([false, true, true]);
    recent.add('a', ['2']);
    recent.add('a', ['4']);
    // Seen again, an id is the newest: 3 went, not 2.
    expect(['2', '3', '4'].map((id) => recent.has('a', id))).toEqual([true, false, true]);
    expect(recent.has('b', '1')).toBe(true);
  });
});
