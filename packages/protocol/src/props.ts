import { MAX_PROP_STRING, MAX_PROPS_BYTES, MAX_PROPS_DEPTH, MAX_PROPS_KEYS } from './limits.js';

/**
 * Why a `props` value breaks the limits, or `undefined` when it is fine.
 * Walks iteratively so hostile nesting cannot overflow the stack.
 */
export function propsProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'props must be an object';
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node === 'boolean') continue;
    if (typeof node === 'number') {
      if (!Number.isFinite(node)) return 'props numbers must be finite';
      continue;
    }
    if (typeof node === 'string') {
      if (node.length > MAX_PROP_STRING) return `props strings must be at most ${MAX_PROP_STRING} characters`;
      continue;
    }
    if (typeof node !== 'object') return `props cannot hold a ${typeof node}`;
    if (depth > MAX_PROPS_DEPTH) return `props nest at most ${MAX_PROPS_DEPTH} levels deep`;
    const children = Array.isArray(node) ? node : Object.values(node);
    if (children.length > MAX_PROPS_KEYS) return `props hold at most ${MAX_PROPS_KEYS} keys or items per level`;
    if (!Array.isArray(node)) {
      for (const key of Object.keys(node)) {
        if (key.length > MAX_PROP_STRING) return 'props keys are too long';
      }
    }
    for (const child of children) stack.push([child, depth + 1]);
  }
  if (utf8Length(JSON.stringify(value)) > MAX_PROPS_BYTES) return `props must be at most ${MAX_PROPS_BYTES} bytes`;
  return undefined;
}

/**
 * UTF-8 byte length of a string. Almost every event is ASCII, whose length is its size; the rest is counted by the
 * platform's own encoder (browsers, Node and Workers all have one). Not a Blob: in a browser each Blob is registered
 * with the browser process, ~100× the cost. The SDK counts with this one too (one copy in its bundle).
 */
export const utf8Length = (text: string): number => (/[^ -~]/.test(text) ? new TextEncoder().encode(text).length : text.length);
