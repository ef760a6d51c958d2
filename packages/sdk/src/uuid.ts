/**
 * Returns a UUID v7 generator (RFC 9562): a 48-bit ms timestamp first, so ids sort by time, then random bits.
 * Random bytes are drawn 1 KiB at a time: `crypto.randomUUID()` costs ~4 µs a call in Chromium, which
 * alone would be most of `track()`'s budget.
 */
export function uuidv7Factory(fill: (bytes: Uint8Array<ArrayBuffer>) => unknown = (bytes) => crypto.getRandomValues(bytes)) {
  const pool = new Uint8Array(1000);
  let offset = pool.length;
  return (now: number): string => {
    if (offset === pool.length) {
      fill(pool);
      offset = 0;
    }
    let hex = '';
    for (let i = 0; i < 10; i++) hex += (pool[offset++]! | 0x100).toString(16).slice(1);
    const time = now.toString(16).padStart(12, '0');
    // Version 7 in the 13th digit; variant 10xx in the 17th.
    return `${time.slice(0, 8)}-${time.slice(8)}-7${hex.slice(0, 3)}-${((pool[offset - 10]! & 3) | 8).toString(16)}${hex.slice(3, 6)}-${hex.slice(6, 18)}`;
  };
}
