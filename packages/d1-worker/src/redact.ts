import { type Props, type PropValue, redactText, type TrailmarkEvent } from '@trailmark/protocol';

/**
 * The server's second line of defence against personal data, as the other backends run it: the SDK redacts
 * form values and click labels, and the Worker runs the same rules (`redactText`) again over every free-text
 * field and every string in `props` before an event is stored or shown live. URLs are included: an e-mail
 * address in a query string is personal data too.
 */
export function redactEvent(event: TrailmarkEvent): TrailmarkEvent {
  const out: TrailmarkEvent = { ...event, url: redact(event.url), path: redact(event.path) };
  if (event.title !== undefined) out.title = redact(event.title);
  if (event.referrer !== undefined) out.referrer = redact(event.referrer);
  if (event.props !== undefined) out.props = redactValue(event.props) as Props;
  return out;
}

// Props are at most 4 levels deep (parseBatch checked them), so the recursion is bounded. `fromEntries` defines
// keys as data properties, so a key named `__proto__` stays data.
function redactValue(value: PropValue): PropValue {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map(redactValue);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v)]));
  return value;
}

// Every default rule needs an `@` (email), 7+ digits (phone 7+, SSN 9, card 12+) or two letters directly followed
// by two digits (IBAN): text with none of them, most text, skips the five rule regexes (this runs on every
// string of every event, on the ingest path).
const MAY_MATCH = /@|\d(?:\D*\d){6}|[A-Za-z]{2}\d{2}/;

/** `redactText` with the default rules, for text that may match them. */
export function redact(text: string): string {
  return MAY_MATCH.test(text) ? redactText(text) : text;
}
