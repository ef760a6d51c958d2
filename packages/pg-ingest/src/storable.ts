import type { TrailmarkEvent } from '@trailmark/protocol';

/**
 * Why an event cannot be stored by PostgreSQL although the protocol allows it, or undefined.
 * PostgreSQL text and JSONB refuse U+0000, which JSON can carry as `\u0000`, and a lone UTF-16 surrogate
 * (`\ud800` in JSON: valid JSON, but no Unicode character), which JSONB input rejects: left to the INSERT,
 * either failed the whole batch as a 503 that the SDK would retry forever.
 */
export function storageProblem(event: TrailmarkEvent): string | undefined {
  const problem = unstorable(event);
  if (problem === 'nul') return 'strings must not contain U+0000 (NUL)';
  if (problem === 'surrogate') return 'strings must not contain a lone UTF-16 surrogate (U+D800–U+DFFF)';
  return undefined;
}

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function textProblem(text: string): 'nul' | 'surrogate' | undefined {
  if (text.includes('\0')) return 'nul';
  return LONE_SURROGATE.test(text) ? 'surrogate' : undefined;
}

// Walks the event's strings (and prop keys) without serialising it: this runs on every event of every request.
// Props are at most 4 levels deep (validated before this runs), so the stack stays small.
function unstorable(value: unknown): 'nul' | 'surrogate' | undefined {
  if (typeof value === 'string') return textProblem(value);
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = unstorable(item);
      if (problem) return problem;
    }
    return undefined;
  }
  for (const key in value) {
    const problem = textProblem(key) ?? unstorable((value as Record<string, unknown>)[key]);
    if (problem) return problem;
  }
  return undefined;
}
