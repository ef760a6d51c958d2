import { MAX_PROP_STRING, MAX_PROPS_BYTES, MAX_PROPS_DEPTH, MAX_PROPS_KEYS } from './limits.js';

/** Which limit a `props` value breaks (see `propsProblem` for the sentence each code stands for). */
export type PropsFault = 'object' | 'finite' | 'string' | 'type' | 'depth' | 'keys' | 'key' | 'bytes';

/**
 * Which limit a `props` value breaks, as a short code, or `undefined` when it is fine. The SDK's release build
 * carries this alone (the sentences are 118 B of its bundle gzip); `propsProblem` says the same in words.
 * Walks iteratively so hostile nesting cannot overflow the stack.
 */
export function propsFault(value: unknown): PropsFault | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'object';
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack[0]) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node === 'boolean') continue;
    if (typeof node === 'number') {
      if (!Number.isFinite(node)) return 'finite';
      continue;
    }
    if (typeof node === 'string') {
      if (node.length > MAX_PROP_STRING) return 'string';
      continue;
    }
    if (typeof node !== 'object') return 'type';
    if (depth > MAX_PROPS_DEPTH) return 'depth';
    const children = Array.isArray(node) ? node : Object.values(node);
    if (children.length > MAX_PROPS_KEYS) return 'keys';
    if (!Array.isArray(node)) {
      for (const key of Object.keys(node)) {
        if (key.length > MAX_PROP_STRING) return 'key';
      }
    }
    for (const child of children) stack.push([child, depth + 1]);
  }
  if (utf8Length(JSON.stringify(value)) > MAX_PROPS_BYTES) return 'bytes';
  return undefined;
}

/** Why a `props` value breaks the limits, in words, or `undefined` when it is fine. */
export function propsProblem(value: unknown): string | undefined {
  const fault = propsFault(value);
  return fault && PROPS_PROBLEMS[fault];
}

const PROPS_PROBLEMS: Record<PropsFault, string> = {
  object: 'props must be an object',
  finite: 'props numbers must be finite',
  string: `props strings must be at most ${MAX_PROP_STRING} characters`,
  type: 'props hold only strings, numbers, booleans, null, arrays and objects',
  depth: `props nest at most ${MAX_PROPS_DEPTH} levels deep`,
  keys: `props hold at most ${MAX_PROPS_KEYS} keys or items per level`,
  key: 'props keys are too long',
  bytes: `props must be at most ${MAX_PROPS_BYTES} bytes`,
};

/**
 * UTF-8 byte length of a string. Almost every event is ASCII, whose length is its size; the rest is counted by the
 * platform's own encoder (browsers, Node and Workers all have one). Not a Blob: in a browser each Blob is registered
 * with the browser process, ~100× the cost. The SDK counts with this one too (one copy in its bundle).
 */
export const utf8Length = (text: string): number => (/[^ -~]/.test(text) ? new TextEncoder().encode(text).length : text.length);
