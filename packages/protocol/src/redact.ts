import type { Props, PropValue, TrailmarkEvent } from './event.js';
import { isSensitiveField, isSensitiveKey } from './rules/names.js';
import { isSecretParam, redactUrl, SENSITIVE_VALUE } from './rules/urls.js';

/**
 * The one rule set every backend runs at admission (`admitBatch`), over every string of every event, whatever its
 * type, keys and values at any depth: a value under a sensitive name (`rules/names.ts`) is replaced whole; every
 * other string, top-level field or prop, key or value, goes through the value and URL rules (`rules/urls.ts`:
 * userinfo, secret query values, cards, IBANs, e-mails, SSNs, phones, decoded as well as written). Ids, the site,
 * the event type, timestamps and numbers are never touched.
 */

/** Top-level fields that are identifiers or enumerations, never text: stored as they came. */
export const KEPT_FIELDS: readonly string[] = ['event_id', 'visitor_id', 'session_id', 'site_id', 'type', 'split_reason', 'bot'];
/**
 * Every other top-level string field of the schema (`parseBatch` drops unknown fields): all redacted. A test holds
 * the two lists to `eventSchema`, so a string field added there is redacted or kept by decision, never by default.
 */
export const TEXT_FIELDS = [
  'url',
  'path',
  'title',
  'referrer',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_content',
  'utm_term',
  'user_id',
  'language',
  'timezone',
] as const;

/** A redactor with its own memo of key verdicts: keys repeat across a batch's events (`href`, `text`, `name`). */
export interface Redactor {
  event(event: TrailmarkEvent): TrailmarkEvent;
  /** Any JSON value (traits, a server event's props): sensitive names replaced, every string redacted. */
  value(value: PropValue): PropValue;
}

/** At most this many distinct keys are remembered by one redactor (a hostile batch sends a new key per prop). */
const MAX_MEMO = 1024;

/** A check on names remembered: the same names come back in every event (`href`, `utm_source`). */
function remembered(check: (name: string) => boolean): (name: string) => boolean {
  const memo = new Map<string, boolean>();
  return (name) => {
    let verdict = memo.get(name);
    if (verdict === undefined) {
      verdict = check(name);
      if (memo.size < MAX_MEMO) memo.set(name, verdict);
    }
    return verdict;
  };
}

/** A redactor (one per batch or per run over stored rows: its memos of names are its only state). */
export function createRedactor(): Redactor {
  const sensitive = remembered(isSensitiveKey);
  const secret = remembered(isSecretParam);
  const redactString = (text: string) => redactUrl(text, secret);

  // Props are at most 4 levels deep (parseBatch checks them), so the recursion is bounded. `fromEntries` defines
  // keys as data properties, so a key named `__proto__` stays data.
  function value(input: PropValue, entry = true): PropValue {
    if (typeof input === 'string') return redactString(input);
    if (Array.isArray(input)) return input.map((item) => value(item));
    if (input === null || typeof input !== 'object') return input;
    // A form field written as an entry (`{ name, type?, id?, autocomplete?, value }`), whatever the event.
    const field = entry && 'value' in input && isSensitiveField(fieldOf(input), sensitive);
    return Object.fromEntries(
      Object.entries(input).map(([key, item]) => [
        redactString(key),
        (field && key === 'value') || sensitive(key) ? SENSITIVE_VALUE : value(item),
      ]),
    );
  }

  function event(input: TrailmarkEvent): TrailmarkEvent {
    const out = { ...input };
    for (const key of TEXT_FIELDS) {
      const item = input[key];
      if (typeof item === 'string') out[key] = redactString(item);
    }
    if (input.props !== undefined) out.props = props(input);
    return out;
  }

  /**
   * A web vital's `id` (`v6-<ms>-<13 digits>`, which passes Luhn one time in six) is an id, kept whole; its props
   * (`{ name, value, id }`) are not a form field entry.
   */
  function props(input: TrailmarkEvent): Props {
    const vital = input.type === 'web_vital';
    const out = value(input.props as Props, !vital) as Props;
    if (vital && typeof input.props?.id === 'string') out.id = input.props.id;
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
