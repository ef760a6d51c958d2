import { describe, expect, it } from 'vitest';
import { uuidv7Factory } from '../src/uuid.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7Factory', () => {
  it('makes RFC 9562 version 7 ids whose first 48 bits are the time', () => {
    const next = uuidv7Factory();
    const now = Date.UTC(2026, 10, 29, 12, 0, 0, 123);
    const id = next(now);
    expect(id).toMatch(V7);
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(now);
  });

  it('never repeats across pool refills, and sorts by time', () => {
    const next = uuidv7Factory();
    const ids = Array.from({ length: 5000 }, (_, i) => next(1_700_000_000_000 + Math.floor(i / 100)));
    expect(new Set(ids).size).toBe(5000);
    for (const id of ids) expect(id).toMatch(V7);
    const byTime = ids.map((id) => id.slice(0, 13));
    expect([...byTime].sort()).toEqual(byTime);
  });

  it('takes its random digits from the bytes drawn, with or without a native toHex', () => {
    const native = Uint8Array.prototype as Uint8Array & { toHex?: unknown };
    const saved = native.toHex;
    const draws: Array<[number, string]> = [
      [0xab, '00000000-0000-7aba-aaba-babababababa'],
      [0x12, '00000000-0000-7121-a121-212121212121'],
    ];
    try {
      for (const toHex of [
        undefined,
        function (this: Uint8Array) {
          return Array.from(this, (b) => b.toString(16).padStart(2, '0')).join('');
        },
      ]) {
        native.toHex = toHex;
        const [byte, expected] = draws.shift()!;
        expect(uuidv7Factory((bytes) => bytes.fill(byte))(0)).toBe(expected);
      }
    } finally {
      native.toHex = saved;
      if (saved === undefined) delete native.toHex;
    }
  });
});
