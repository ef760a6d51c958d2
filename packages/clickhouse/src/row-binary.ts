/**
 * ClickHouse's `RowBinary` format, for the `events` rows a log message carries: each value as its bytes in column
 * order, no separators, no escapes. A `String` is its UTF-8 length as an unsigned LEB128 number then its bytes, a
 * `Nullable` one byte (1: NULL, and nothing follows) before its value, an `Int64` 8 bytes little-endian, a `UUID` its
 * two 64-bit halves, each little-endian, the high half first.
 */

/** The bytes of a UTF-8 length as an unsigned LEB128 number. */
const varintBytes = (n: number): number => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);

/** A writer of `RowBinary` values into one buffer sized beforehand (`stringBytes` and the fixed widths). */
export interface RowBinaryWriter {
  string(value: string): void;
  /** A `Nullable(String)`. */
  nullableString(value: string | null): void;
  int64(value: number): void;
  /** A UUID's text (`8-4-4-4-12` hex digits, either case). */
  uuid(value: string): void;
  /** The bytes written, once every value is. */
  bytes(): Buffer;
}

/** The bytes `string()` writes for `value`. */
export function stringBytes(value: string): number {
  const length = Buffer.byteLength(value, 'utf8');
  return varintBytes(length) + length;
}

/** The bytes of a `UUID` and an `Int64`. */
export const UUID_BYTES = 16;
export const INT64_BYTES = 8;

/** A writer of exactly `size` bytes of values. */
export function rowBinaryWriter(size: number): RowBinaryWriter {
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  const varint = (n: number) => {
    while (n >= 0x80) {
      out[at++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    out[at++] = n;
  };
  const string = (value: string) => {
    const length = Buffer.byteLength(value, 'utf8');
    varint(length);
    at += out.write(value, at, length, 'utf8');
  };
  return {
    string,
    nullableString(value) {
      out[at++] = value === null ? 1 : 0;
      if (value !== null) string(value);
    },
    int64(value) {
      out.writeBigInt64LE(BigInt(value), at);
      at += INT64_BYTES;
    },
    uuid(value) {
      // The 16 bytes in the text's order, then each half reversed (little-endian), the high half first.
      if (value.length !== 36 || out.write(value.replaceAll('-', ''), at, UUID_BYTES, 'hex') !== UUID_BYTES)
        throw new TypeError(`not a UUID: ${value}`);
      out.subarray(at, at + 8).reverse();
      out.subarray(at + 8, at + UUID_BYTES).reverse();
      at += UUID_BYTES;
    },
    bytes() {
      if (at !== size) throw new RangeError(`RowBinary rows of ${at} bytes written into ${size}`);
      return out;
    },
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
