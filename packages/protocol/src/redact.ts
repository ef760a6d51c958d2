import type { Props, PropValue, TrailmarkEvent } from './event.js';

/**
 * Redaction of personal data in free text: the SDK's forms plugin runs it on allowlisted values,
 * and servers run it again as a second line of defence.
 */

/** One kind of sensitive data: a pattern and, where the pattern alone over-matches, a validator. */
export interface RedactionRule {
  /** Named in the marker that replaces a match: `[redacted:card]`. */
  name: string;
  /** Must carry the `g` flag. */
  pattern: RegExp;
  /** Return false to keep a match (e.g. digits that fail the Luhn check). */
  validate?: (match: string) => boolean;
}

/** Whether a digit string passes the Luhn checksum used by payment cards. */
export function luhnValid(digits: string): boolean {
  const clean = digits.replace(/\D/g, '');
  if (clean.length < 12 || clean.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < clean.length; i++) {
    let digit = clean.charCodeAt(clean.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** Whether a string is an IBAN with a valid ISO 13616 mod-97 check. */
export function ibanValid(text: string): boolean {
  const clean = text.replace(/\s/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(clean)) return false;
  const moved = clean.slice(4) + clean.slice(0, 4);
  let remainder = 0;
  for (const char of moved) {
    const value = char >= 'A' ? String(char.charCodeAt(0) - 55) : char;
    for (const digit of value) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

/** The built-in rules, in the order they run (cards before phones, so card digits are named as cards). */
export const DEFAULT_REDACTION_RULES: readonly RedactionRule[] = [
  // A leading `+` is taken into the match so that an international phone number (`+49 151 1234 5678`, which may
  // pass Luhn by chance) is left whole for the phone rule; no card number starts with 0, national phone numbers do.
  { name: 'card', pattern: /\+?\b[1-9](?:[ -]?\d){11,18}\b/g, validate: (match) => match[0] !== '+' && luhnValid(match) },
  { name: 'iban', pattern: /\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}\b/g, validate: ibanValid },
  { name: 'email', pattern: /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g },
  { name: 'ssn', pattern: /\b\d{3}-\d{2}-\d{4}\b/g },
  {
    name: 'phone',
    pattern: /(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,5}){1,4}\b|\+\d{8,15}\b/g,
    // 7–15 digits (E.164); without a `+` or `(` prefix at least 9, so dates and short codes stay.
    validate: (match) => {
      const digits = match.replace(/\D/g, '').length;
      return digits <= 15 && digits >= (/^[+(]/.test(match) ? 7 : 9);
    },
  },
];

/**
 * Every default rule needs an `@` (email), 7 or more digits (phone, SSN, card) or two letters followed by two digits
 * (IBAN): text with none of them, most text, cannot match, and the rules' regular expressions are not run. Servers
 * redact every string of every event on the ingest path, so this matters.
 */
function mayMatchDefaultRules(text: string): boolean {
  if (text.includes('@')) return true;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57 && ++digits >= 7) return true;
  }
  return digits >= 2 && /[A-Za-z]{2}\d{2}/.test(text);
}

/** Replaces every match of every rule in `text` with `[redacted:<rule>]`. */
export function redactText(text: string, rules: readonly RedactionRule[] = DEFAULT_REDACTION_RULES): string {
  if (rules === DEFAULT_REDACTION_RULES && !mayMatchDefaultRules(text)) return text;
  let out = text;
  for (const rule of rules) {
    out = out.replace(rule.pattern, (match) => (rule.validate && !rule.validate(match) ? match : `[redacted:${rule.name}]`));
  }
  return out;
}

/**
 * The servers' second line of defence: `redactText` over every free-text field of an event (URL, path, title,
 * referrer: an e-mail address in a query string is personal data too) and every string in its props.
 */
export function redactEvent(event: TrailmarkEvent): TrailmarkEvent {
  const out: TrailmarkEvent = { ...event, url: redactText(event.url), path: redactText(event.path) };
  if (event.title !== undefined) out.title = redactText(event.title);
  if (event.referrer !== undefined) out.referrer = redactText(event.referrer);
  if (event.props !== undefined) out.props = redactValue(event.props) as Props;
  return out;
}

// Props are at most 4 levels deep (parseBatch checks them), so the recursion is bounded. `fromEntries` defines
// keys as data properties, so a key named `__proto__` stays data.
function redactValue(value: PropValue): PropValue {
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map(redactValue);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v)]));
  return value;
}

/** What `isSensitiveField()` looks at: a form field's attributes. */
export interface FieldDescription {
  name?: string | null;
  id?: string | null;
  type?: string | null;
  autocomplete?: string | null;
}

const SENSITIVE_TYPES = new Set(['password', 'hidden']);
const SENSITIVE_AUTOCOMPLETE = /^(cc-|one-time-code$|current-password$|new-password$)/;
const SENSITIVE_NAME = /(card|cc-?num|cvv|cvc|csc|ssn|social.?security|pass|pwd|iban|token|secret|pin\b|otp)/i;

/** Whether a field's value must never be captured, even when allowlisted. */
export function isSensitiveField(field: FieldDescription): boolean {
  if (field.type && SENSITIVE_TYPES.has(field.type.toLowerCase())) return true;
  const autocomplete = field.autocomplete?.toLowerCase().trim().split(/\s+/).pop() ?? '';
  if (SENSITIVE_AUTOCOMPLETE.test(autocomplete)) return true;
  return SENSITIVE_NAME.test(field.name ?? '') || SENSITIVE_NAME.test(field.id ?? '');
}
