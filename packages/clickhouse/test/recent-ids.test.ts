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

  it('costs an id, once full, a few times what a plain set does (forgetting the oldest walks no holes)', () => {
    // Per id, 96,000 ids through a memory of 32,000 (every add past the bound forgets one), against a Set that
    // forgets nothing: the CPU time, median of 3 runs each.
    const perId = (make: () => Pick<ReturnType<typeof recentIds>, 'has' | 'add'>) => {
      const runs: number[] = [];
      for (let run = 0; run < 3; run++) {
        const recent = make();
        const ids = Array.from({ length: 96_000 }, (_, i) => `${run}-${i.toString(36).padStart(8, '0')}-event`);
        const cpu = process.cpuUsage();
        for (let at = 0; at < ids.length; at += 100) {
          const batch = ids.slice(at, at + 100);
          for (const id of batch) recent.has('site', id);
          recent.add('site', batch);
        }
        const used = process.cpuUsage(cpu);
        runs.push((used.user + used.system) / ids.length);
      }
      return runs.sort((a, b) => a - b)[1] as number;
    };
    const plain = () => {
      const seen = new Set<string>();
      return {
        has: (_site: string, id: string) => seen.has(id),
        add: (_site: string, ids: Iterable<string>) => {
          for (const id of ids) seen.add(id);
        },
      };
    };
    perId(plain);
    // A map used as its own queue measured 10-11× the set (the holes of its deleted entries, walked on every
    // forgetting), this 2-3×.
    expect(perId(() => recentIds(32_000)) / perId(plain)).toBeLessThan(5);
  });
});
