import { describe, expect, it } from 'vitest';
import { MAX_PROP_STRING, MAX_PROPS_BYTES, MAX_PROPS_DEPTH, MAX_PROPS_KEYS, propsFault, propsProblem } from '../src/index.js';

// The SDK's release build carries `propsFault` alone (its codes are what its console warning names); the servers and
// the SDK's debug build say the same in words with `propsProblem`.
const cases: Array<[string, unknown, string, RegExp]> = [
  ['not an object', [1], 'object', /must be an object/],
  ['a number that is not finite', { n: Number.POSITIVE_INFINITY }, 'finite', /finite/],
  ['a string over the limit', { s: 'x'.repeat(MAX_PROP_STRING + 1) }, 'string', new RegExp(`at most ${MAX_PROP_STRING} characters`)],
  ['a value JSON cannot carry', { f: () => 1 }, 'type', /only strings, numbers/],
  ['nesting past the depth', { a: { b: { c: { d: { e: 1 } } } } }, 'depth', new RegExp(`${MAX_PROPS_DEPTH} levels deep`)],
  ['too many keys', Object.fromEntries(Array.from({ length: MAX_PROPS_KEYS + 1 }, (_, i) => [`k${i}`, i])), 'keys', /keys or items/],
  ['a key over the limit', { ['k'.repeat(MAX_PROP_STRING + 1)]: 1 }, 'key', /keys are too long/],
  [
    'more bytes than allowed',
    Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'x'.repeat(1000)])),
    'bytes',
    new RegExp(`${MAX_PROPS_BYTES} bytes`),
  ],
];

describe('propsFault and propsProblem', () => {
  it.each(cases)('name %s with the same limit, as a code and in words', (_name, props, code, words) => {
    expect(propsFault(props)).toBe(code);
    expect(propsProblem(props)).toMatch(words);
  });

  it('find nothing wrong with props inside every limit', () => {
    const props = { a: 'x', n: 1, b: true, z: null, list: [1, 'two', { three: 3 }] };
    expect(propsFault(props)).toBeUndefined();
    expect(propsProblem(props)).toBeUndefined();
  });
});
