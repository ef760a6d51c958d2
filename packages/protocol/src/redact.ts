import type { Props, PropValue, TrailmarkEvent } from './event.js';
import { isSensitiveFieldServer, isSensitiveKey } from './rules/names.js';
import { redactUrl, SENSITIVE_VALUE } from './rules/urls.js';

/**
 * The one rule set every backend runs at admission (`admitBatch`), over every string of every event, whatever its
 * type, keys and values at any depth: a value under a sensitive name (`rules/names.ts`) is replaced whole; every
 * other string, top-level field or prop, key or value, goes through the value and URL rules (`rules/urls.ts`:
 * userinfo, secret query values, cards, IBANs, e-mails, SSNs, phones, decoded as well as written). Ids, the site,
 * the event type, timestamps and numbers are never touched.
 */

/** Top-level fields that are identifiers or enumerations, never text: stored as they came. */
const KEPT_FIELDS = new Set(['event_id', 'visitor_id', 'session_id', 'site_id', 'type', 'split_reason', 'bot']);

/** A redactor with its own memo of key verdicts: keys repeat across a batch's events (`href`, `text`, `name`). */
export interface Redactor {
  event(event: TrailmarkEvent): TrailmarkEvent;
  /** Any JSON value (traits, a server event's props): sensitive names replaced, every string redacted. */
  value(value: PropValue): PropValue;
}

/** At most this many distinct keys are remembered by one redactor (a hostile batch sends a new key per prop). */
const MAX_MEMO = 1024;

/** A redactor (one per batch or per run over stored rows: the key memo is its only state). */
export function createRedactor(): Redactor {
  const memo = new Map<string, boolean>();
  const sensitive = (key: string) => {
    let verdict = memo.get(key);
    if (verdict === undefined) {
      verdict = isSensitiveKey(key);
      if (memo.size < MAX_MEMO) memo.set(key, verdict);
    }
    return verdict;
  };

  // Props are at most 4 levels deep (parseBatch checks them), so the recursion is bounded. `fromEntries` defines
  // keys as data properties, so a key named `__proto__` stays data.
  function value(input: PropValue): PropValue {
    if (typeof input === 'string') return redactUrl(input);
    if (Array.isArray(input)) return input.map(value);
    if (input === null || typeof input !== 'object') return input;
    // A form field written as an entry (`{ name, type?, id?, autocomplete?, value }`), whatever the event.
    const field = 'value' in input && isSensitiveFieldServer(fieldOf(input));
    return Object.fromEntries(
      Object.entries(input).map(([key, item]) => [
        redactUrl(key),
        (field && key === 'value') || sensitive(key) ? SENSITIVE_VALUE : value(item),
      ]),
    );
  }

  function event(input: TrailmarkEvent): TrailmarkEvent {
    const out = { ...input } as Record<string, unknown>;
    for (const [key, item] of Object.entries(input)) {
      if (typeof item === 'string' && !KEPT_FIELDS.has(key)) out[key] = redactUrl(item);
    }
    if (input.props !== undefined) out.props = props(input);
    return out as unknown as TrailmarkEvent;
  }

  /** A web vital's `id` (`v6-<ms>-<13 digits>`, which passes Luhn one time in six) is an id, kept whole. */
  function props(input: TrailmarkEvent): Props {
    const out = value(input.props as Props) as Props;
    if (input.type === 'web_vital' && typeof input.props?.id === 'string') out.id = input.props.id;
    return out;
  }

  return { event, value };
}

const text = (value: PropValue | undefined) => (typeof value === 'string' ? value : null);
const fieldOf = (entry: { [key: string]: PropValue }) => ({
  name: text(entry.name),
  id: text(entry.id),
  type: text(entry.type),
  autocomplete: text(entry.autocomplete),
});

/** One event through a fresh redactor (`createRedactor` shares the key memo across a batch). */
export const redactEvent = (event: TrailmarkEvent): TrailmarkEvent => createRedactor().event(event);
