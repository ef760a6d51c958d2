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

/** A function of names remembered: the same names come back in every event (`href`, `utm_source`). */
function remembered<T>(check: (name: string) => T): (name: string) => T {
  const memo = new Map<string, T>();
  return (name) => {
    let verdict = memo.get(name);
    if (verdict === undefined) {
      verdict = check(name);
      if (memo.size < MAX_MEMO) memo.set(name, verdict);
    }
    return verdict;
  };
}

/** Sets `key` as a data property, also when it is `__proto__` (an assignment would set the object's prototype). */
function put(target: { [key: string]: PropValue }, key: string, item: PropValue): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value: item, enumerable: true, writable: true, configurable: true });
  else target[key] = item;
}

/**
 * A redactor (one per batch or per run over stored rows: its memos of names are its only state). What it returns
 * shares every part the rules left unchanged with its input (a clean event is not copied): admission redacts every
 * string of every event, and most are clean.
 */
export function createRedactor(): Redactor {
  const sensitive = remembered(isSensitiveKey);
  const secret = remembered(isSecretParam);
  const redactString = (text: string) => redactUrl(text, secret);
  // Keys repeat across a batch's events as names do; their redacted form is remembered with them.
  const redactKey = remembered(redactString);

  // Props are at most 4 levels deep (parseBatch checks them), so the recursion is bounded. `kept`: a key whose string
  // value is an id, kept whole (a web vital's `id`).
  function value(input: PropValue, entry = true, kept?: string): PropValue {
    if (typeof input === 'string') return redactString(input);
    if (input === null || typeof input !== 'object') return input;
    if (Array.isArray(input)) {
      let copy: PropValue[] | undefined;
      for (let i = 0; i < input.length; i++) {
        const item = input[i] as PropValue;
        const redacted = value(item);
        if (redacted === item) continue;
        copy ??= input.slice();
        copy[i] = redacted;
      }
      return copy ?? input;
    }
    // A form field written as an entry (`{ name, type?, id?, autocomplete?, value }`), whatever the event.
    const field = entry && 'value' in input && isSensitiveField(fieldOf(input), sensitive);
    const keys = Object.keys(input);
    let out: { [key: string]: PropValue } | undefined;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const item = input[key] as PropValue;
      const name = redactKey(key);
      const redacted =
        key === kept && typeof item === 'string' ? item : (field && key === 'value') || sensitive(key) ? SENSITIVE_VALUE : value(item);
      if (out === undefined && (name !== key || redacted !== item)) {
        // The first change: the keys before it are copied as they are, in their order.
        out = {};
        for (let j = 0; j < i; j++) put(out, keys[j] as string, input[keys[j] as string] as PropValue);
      }
      if (out !== undefined) put(out, name, redacted);
    }
    return out ?? input;
  }

  function event(input: TrailmarkEvent): TrailmarkEvent {
    let out: TrailmarkEvent | undefined;
    for (const key of TEXT_FIELDS) {
      const item = input[key];
      if (typeof item !== 'string') continue;
      const redacted = redactString(item);
      if (redacted === item) continue;
      out ??= { ...input };
      out[key] = redacted;
    }
    if (input.props !== undefined) {
      // A web vital's `id` (`v6-<ms>-<13 digits>`, which passes Luhn one time in six) is an id, kept whole; its
      // props (`{ name, value, id }`) are not a form field entry.
      const vital = input.type === 'web_vital';
      const props = value(input.props, !vital, vital ? 'id' : undefined) as Props;
      if (props !== input.props) {
        out ??= { ...input };
        out.props = props;
      }
    }
    return out ?? input;
  }

  return { event, value: (input) => value(input) };
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
