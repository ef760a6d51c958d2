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

/** `redactText` with the default rules (which skips text none of them can match: most text). */
export function redact(text: string): string {
  return redactText(text);
}
