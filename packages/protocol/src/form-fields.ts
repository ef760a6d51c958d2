import type { Props, PropValue, TrailmarkEvent } from './event.js';
import { isSensitiveField } from './redact.js';

/** What replaces the value of a form field that must never be stored (password, card, token…). */
export const SENSITIVE_VALUE = '[redacted]';

const FIELD_KEYS = ['fields', 'values', 'data'] as const;

/**
 * A `form_submit` with the values of sensitive fields (`isSensitiveField`: passwords, card numbers, one-time codes)
 * replaced by `[redacted]`, whole: the SDK never captures them, but a hand-written `track('form_submit', …)` or an
 * old script may send them. Form values travel as `values: { name: value }` (the SDK's forms plugin) or
 * `fields: [{ name, type?, id?, autocomplete?, value }]`, under `values`, `fields` or `data`. Other events are
 * returned as they are.
 */
export function blankSensitiveFields(event: TrailmarkEvent): TrailmarkEvent {
  if (event.type !== 'form_submit' || event.props === undefined) return event;
  const props: Props = { ...event.props };
  for (const key of FIELD_KEYS) {
    const fields = props[key];
    if (Array.isArray(fields)) props[key] = fields.map(blankFieldEntry);
    else if (fields !== null && typeof fields === 'object') {
      // fromEntries defines each name as an own key: assigning `out[name]` would drop a field named `__proto__`.
      props[key] = Object.fromEntries(
        Object.entries(fields).map(([name, value]) => [name, isSensitiveField({ name }) ? SENSITIVE_VALUE : value]),
      );
    }
  }
  return { ...event, props };
}

function blankFieldEntry(entry: PropValue): PropValue {
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
