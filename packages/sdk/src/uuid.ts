/**
 * Returns a UUID v7 generator (RFC 9562): a 48-bit ms timestamp first, so ids sort by time, then random bits.
 * Random bytes are drawn 1 KiB at a time and turned into hex through a table: `crypto.randomUUID()` costs
 * ~4 µs a call in Chromium, which alone would be most of `track()`'s budget.
 */
export function uuidv7Factory(fill: (bytes: Uint8Array<ArrayBuffer>) => unknown = (bytes) => crypto.getRandomValues(bytes)) {
  const pool = new Uint8Array(1024);
  const hex: string[] = [];
  for (let i = 0; i < 256; i++) hex[i] = (i + 256).toString(16).slice(1);
  let offset = 1024;
  const h = () => hex[pool[offset++]!]!;
  return (now: number): string => {
    if (offset > 1013) {
      fill(pool);
      offset = 0;
    }
    const time = now.toString(16).padStart(12, '0');
    // Version 7 in the 13th digit; variant 10xx in the 17th.
    return `${time.slice(0, 8)}-${time.slice(8)}-7${h().slice(1)}${h()}-${'89ab'[pool[offset++]! & 3]}${h().slice(1)}${h()}-${h()}${h()}${h()}${h()}${h()}${h()}`;
  };
}
