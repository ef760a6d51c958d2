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

/** `redactText` with the default rules (which skips text none of them can match: most text). */
export function redact(text: string): string {
  return redactText(text);
}
