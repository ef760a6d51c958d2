import { describe, expect, it } from 'vitest';
import { maxStringBytes, rowBinaryReader, rowBinaryWriter } from '../src/row-binary.js';

describe('RowBinary', () => {
  it("writes ClickHouse's bytes: LEB128 lengths, a NULL flag, Int64 and each UUID half little-endian, and reads them back", () => {
    const long = 'x'.repeat(200);
    const out = rowBinaryWriter(maxStringBytes('ü') + 1 + 1 + maxStringBytes(long) + 8 + 16);
    out.string('ü');
    out.nullableString(null);
    out.nullableString(long);
    out.int64(-2);
    out.uuid('0A1B2C3D-0000-4000-8000-00000000000F');
    const bytes = out.bytes();
    expect([...bytes.subarray(0, 5)]).toEqual([2, 0xc3, 0xbc, 1, 0]);
    // 200 as LEB128: 0xc8 0x01.
    expect([...bytes.subarray(5, 7)]).toEqual([0xc8, 0x01]);
    expect([...bytes.subarray(207, 215)]).toEqual([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    // 0a1b2c3d-0000-4000 | 8000-00000000000f, each half's bytes reversed.
    expect(bytes.subarray(215).toString('hex')).toBe('004000003d2c1b0a0f00000000000080');
    const rows = rowBinaryReader(bytes);
    expect([rows.string(), rows.nullableString(), rows.nullableString()]).toEqual(['ü', null, long]);
    rows.skip(8);
    expect(rows.uuid()).toBe('0a1b2c3d-0000-4000-8000-00000000000f');
    expect(rows.done()).toBe(true);
    expect(() => rows.skip(1)).toThrow(RangeError);
  });

  it("writes a length in the room its text's longest encoding takes (more bytes than it needs, as LEB128 allows)", () => {
    // 50 characters may take 150 bytes: two bytes of room for a length of 50.
    const text = 'y'.repeat(50);
    const out = rowBinaryWriter(maxStringBytes(text));
    out.string(text);
    const bytes = out.bytes();
    expect([...bytes.subarray(0, 2)]).toEqual([0x80 | 50, 0]);
    expect(bytes.byteLength).toBe(52);
    expect(rowBinaryReader(bytes).string()).toBe(text);
  });

  it('refuses a value that is not what its type says', () => {
    expect(() => rowBinaryWriter(16).uuid('not-a-uuid')).toThrow(TypeError);
    expect(() => rowBinaryWriter(16).uuid('0a1b2c3d-0000-4000-8000-00000000000g')).toThrow(TypeError);
    expect(() => rowBinaryWriter(8).int64(1.5)).toThrow(TypeError);
  });
});
