/**
 * ClickHouse's `RowBinary` format, for the `events` rows a log message carries: each value as its bytes in column
 * order, no separators, no escapes. A `String` is its UTF-8 length as an unsigned LEB128 number then its bytes, a
 * `Nullable` one byte (1: NULL, and nothing follows) before its value, an `Int64` 8 bytes little-endian, a `UUID` its
 * two 64-bit halves, each little-endian, the high half first.
 */

/** The bytes of a UTF-8 length as an unsigned LEB128 number. */
const varintBytes = (n: number): number => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);

/** A writer of `RowBinary` values into one buffer, at most `maxBytes` of them (`maxStringBytes` and the fixed widths). */
export interface RowBinaryWriter {
  string(value: string): void;
  /** A `Nullable(String)`. */
  nullableString(value: string | null): void;
  int64(value: number): void;
  /** A UUID's text (`8-4-4-4-12` hex digits, either case). */
  uuid(value: string): void;
  /** The bytes written. */
  bytes(): Buffer;
}

/** The most bytes `string()` writes for `value` (UTF-8 takes at most 3 bytes a UTF-16 unit): no need to encode it. */
export const maxStringBytes = (value: string): number => varintBytes(3 * value.length) + 3 * value.length;

/** The bytes of a `UUID` and an `Int64`. */
export const UUID_BYTES = 16;
export const INT64_BYTES = 8;

/** A hex digit's value by its character code, -1 for any other character. */
const HEX = Array.from({ length: 128 }, (_, code) => Number.parseInt(String.fromCharCode(code), 16)).map((n) => (Number.isNaN(n) ? -1 : n));
/** Where each byte of a UUID's text starts (the hyphens skipped). */
const UUID_DIGITS = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/** A writer of at most `maxBytes` bytes of values. */
export function rowBinaryWriter(maxBytes: number): RowBinaryWriter {
  const out = Buffer.allocUnsafe(maxBytes);
  let at = 0;
  const string = (value: string) => {
    // The length's room is reserved from the most the text can take, the text encoded once after it, then its
    // length written into the room: in more bytes than it needs where the text turned out shorter (LEB128 allows
    // that, and ClickHouse reads it so).
    const room = varintBytes(3 * value.length);
    const length = out.write(value, at + room, 'utf8');
    let n = length;
    for (let i = 0; i < room - 1; i++) {
      out[at + i] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    out[at + room - 1] = n;
    at += room + length;
  };
  return {
    string,
    nullableString(value) {
      out[at++] = value === null ? 1 : 0;
      if (value !== null) string(value);
    },
    int64(value) {
      if (!Number.isSafeInteger(value)) throw new TypeError(`not an integer: ${value}`);
      const high = Math.floor(value / 2 ** 32);
      out.writeUInt32LE(value - high * 2 ** 32, at);
      out.writeInt32LE(high, at + 4);
      at += INT64_BYTES;
    },
    uuid(value) {
      if (value.length !== 36) throw new TypeError(`not a UUID: ${value}`);
      // Each half's bytes in reverse (little-endian), the high half first.
      for (let i = 0; i < UUID_BYTES; i++) {
        const digit = UUID_DIGITS[i] as number;
        const high = HEX[value.charCodeAt(digit)] ?? -1;
        const low = HEX[value.charCodeAt(digit + 1)] ?? -1;
        if (high < 0 || low < 0) throw new TypeError(`not a UUID: ${value}`);
        out[at + (i < 8 ? 7 - i : 23 - i)] = high * 16 + low;
      }
      at += UUID_BYTES;
    },
    bytes: () => out.subarray(0, at),
  };
}

/** A reader of `RowBinary` values from `bytes`, from its start. */
export interface RowBinaryReader {
  /** Whether every byte is read. */
  done(): boolean;
  string(): string;
  nullableString(): string | null;
  /** A UUID as its text, lower case. */
  uuid(): string;
  /** Skips `n` bytes (a fixed-width value). */
  skip(n: number): void;
}

/** Reads values from `bytes`; a read past its end throws a `RangeError`. */
export function rowBinaryReader(bytes: Uint8Array): RowBinaryReader {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const need = (n: number) => {
    if (at + n > data.byteLength) throw new RangeError('RowBinary rows end inside a value');
  };
  const varint = () => {
    let n = 0;
    for (let shift = 0; ; shift += 7) {
      need(1);
      const byte = data[at++] as number;
      n += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return n;
    }
  };
  const string = () => {
    const length = varint();
    need(length);
    at += length;
    return data.toString('utf8', at - length, at);
  };
  const half = (from: number) =>
    Buffer.from(data.subarray(from, from + 8))
      .reverse()
      .toString('hex');
  return {
    done: () => at >= data.byteLength,
    string,
    nullableString() {
      need(1);
      return data[at++] === 1 ? null : string();
    },
    uuid() {
      need(UUID_BYTES);
      const hex = half(at) + half(at + 8);
      at += UUID_BYTES;
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
    skip(n) {
      need(n);
      at += n;
    },
  };
}
