import { type Props, type PropValue, redactText, type TrailmarkEvent } from '@trailmark/protocol';

/**
 * The server's second line of defence against personal data: the SDK redacts form values and copied text,
 * and the receiver runs the same rules again over every free-text field before storing.
 */
export function redactEvent(event: TrailmarkEvent): TrailmarkEvent {
  const out: TrailmarkEvent = { ...event, url: redact(event.url), path: redact(event.path) };
  if (event.title !== undefined) out.title = redact(event.title);
  if (event.referrer !== undefined) out.referrer = redact(event.referrer);
  if (event.props !== undefined) out.props = redactProps(event.props);
  return out;
}

// Props are at most 4 levels deep (validated before this runs), so recursion depth is bounded.
function redactProps(props: Props): Props {
  // fromEntries defines keys as data properties, so a key named `__proto__` stays data, not a prototype.
  return Object.fromEntries(Object.entries(props).map(([key, value]) => [key, redactValue(value)]));
}

function redactValue(value: PropValue): PropValue {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map(redactValue);
  if (value !== null && typeof value === 'object') return redactProps(value);
  return value;
}

/** `redactText` with the default rules, skipped for text none of them can match (most text: it is hot at ingest). */
export function redact(text: string): string {
  return mayMatchDefaultRules(text) ? redactText(text) : text;
}

// Each default rule needs one of: an `@` (email); 7+ digits (phone 7+, SSN 9, card 12+); or two letters
// directly followed by two digits (IBAN). Text with none of these cannot match, so the regexes are not run.
function mayMatchDefaultRules(text: string): boolean {
  if (text.includes('@')) return true;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57 && ++digits >= 7) return true;
  }
  return digits >= 2 && /[A-Za-z]{2}\d{2}/.test(text);
}
