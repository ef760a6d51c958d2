import { isSensitiveField, type Props, type PropValue, redactEvent as redactFreeText, type TrailmarkEvent } from '@trailmark/protocol';

/** What replaces the value of a field that must never be stored (password, card, token…). */
export const SENSITIVE_VALUE = '[redacted]';

/**
 * The server's second line of defence against personal data. The SDK already redacts form values and copied
 * text; the server runs the same rules (`redactText`) again over every free-text field and prop, and on a
 * `form_submit` blanks whole values of fields whose name marks them sensitive (`isSensitiveField`).
 */
export function redactEvent(event: TrailmarkEvent): TrailmarkEvent {
  const out = redactFreeText(event);
  if (out.type === 'form_submit' && out.props !== undefined) out.props = redactFormFields(out.props);
  return out;
}

const FIELD_KEYS = ['fields', 'values', 'data'] as const;

/**
 * Form values travel as `fields: { name: value }` or `fields: [{ name, type?, id?, value }]`
 * (also accepted under `values` or `data`).
 */
function redactFormFields(props: Props): Props {
  const out: Props = { ...props };
  for (const key of FIELD_KEYS) {
    const fields = out[key];
    if (Array.isArray(fields)) out[key] = fields.map(redactFieldEntry);
    else if (fields !== null && typeof fields === 'object') {
      // fromEntries defines each name as an own key: assigning `next[name]` would drop a field named `__proto__`.
      out[key] = Object.fromEntries(
        Object.entries(fields).map(([name, value]) => [name, isSensitiveField({ name }) ? SENSITIVE_VALUE : value]),
      );
    }
  }
  return out;
}

function redactFieldEntry(entry: PropValue): PropValue {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return entry;
  const text = (value: PropValue | undefined) => (typeof value === 'string' ? value : null);
  const sensitive = isSensitiveField({
    name: text(entry.name),
    id: text(entry.id),
    type: text(entry.type),
    autocomplete: text(entry.autocomplete),
  });
  return sensitive && 'value' in entry ? { ...entry, value: SENSITIVE_VALUE } : entry;
}

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
