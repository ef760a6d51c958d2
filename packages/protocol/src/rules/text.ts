import { redactCards } from './cards.js';
import { emailPattern } from './emails.js';
import { redactIban } from './ibans.js';
import { isPhone } from './phones.js';

/** One kind of sensitive data: a pattern and, where the pattern alone over-matches, a validator. */
export interface RedactionRule {
  /** Named in the marker that replaces a match: `[redacted:card]`. */
  name: string;
  /** Must carry the `g` flag. */
  pattern: RegExp;
  /** Return false to keep a match (e.g. digits that fail the Luhn check). */
  validate?: (match: string) => boolean;
  /**
   * Where only part of a match may be sensitive (a card number followed by its expiry date): returns the match with
   * that part replaced by `marker`, or the match unchanged. Takes the place of `validate`.
   */
  redact?: (match: string, marker: string) => string;
}

/**
 * The built-in value rules, in the order they run (cards before phones, so card digits are named as cards); each
 * class's checks live in its own file (`cards.ts`, `ibans.ts`, `emails.ts`, `phones.ts`), the patterns here in one
 * array, which the page's bundle carries compressed best.
 */
export const DEFAULT_REDACTION_RULES: readonly RedactionRule[] = [
  // 12 or more digits, at most one separator (space, dash, dot, slash) between two; never after a `+`, which starts
  // an international phone number (`+49 151 1234 5678` may pass Luhn by chance), left whole for the phone rule.
  { name: 'card', pattern: /(?<!\+)\b\d(?:[ ./-]?\d){11,}/g, redact: redactCards },
  // At most one space or dash between two characters after the check digits (`DE89 3704 …`, `DE89-3704-0044…`, none
  // at all); at most 30 characters after the check digits, with a separator between each: 60 at most.
  { name: 'iban', pattern: /\b[A-Za-z]{2}\d{2}(?:[ -]?[A-Za-z0-9]){11,60}/g, redact: redactIban },
  {
    name: 'email',
    get pattern() {
      return emailPattern();
    },
  },
  // A US social security number as written (`078-05-1120`).
  { name: 'ssn', pattern: /\b\d{3}-\d{2}-\d{4}\b/g },
  // Runs of digit groups that `isPhone` judges. A `+` right after a digit or `)` is a form-encoded space
  // (`030+12345678`), not the start of a number.
  {
    name: 'phone',
    pattern: /(?<![\w+)])(?:\+\d{0,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\b\d{1,15}(?:[ .-]\d{1,8}){0,5}\b/g,
    validate: isPhone,
  },
];

/** Replaces every match of every rule in `text` with `[redacted:<rule>]`. */
export function redactText(text: string, rules: readonly RedactionRule[] = DEFAULT_REDACTION_RULES): string {
  let out = text;
  for (const rule of rules) {
    const marker = `[redacted:${rule.name}]`;
    out = out.replace(rule.pattern, (match) =>
      rule.redact ? rule.redact(match, marker) : rule.validate && !rule.validate(match) ? match : marker,
    );
  }
  return out;
}

/** What one pass over a string found (`scanText`): which rules and which decodings can apply to it. */
export const AT = 1;
export const DIGITS = 2;
export const PERCENT = 4;
export const PLUS = 8;
export const EQUALS = 16;

/**
 * One pass over `text`: `AT` if it holds an `@`, `DIGITS` if 7 or more digits or two letters followed by two digits
 * (what a phone, SSN, card or IBAN needs), `PERCENT`, `PLUS`, `EQUALS` if it holds those. Every default rule needs
 * `AT` or `DIGITS`: text with neither, most text, cannot match, and the rules' regular expressions are not run.
 * Servers redact every string of every event on the ingest path, so this matters there (browsers redact a few
 * strings, and do not carry this check).
 */
export function scanText(text: string): number {
  let flags = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) digits++;
    else if (code === 64) flags |= AT;
    else if (code === 37) flags |= PERCENT;
    else if (code === 43) flags |= PLUS;
    else if (code === 61) flags |= EQUALS;
  }
  if (digits >= 7 || (digits >= 2 && /[A-Za-z]{2}\d{2}/.test(text))) flags |= DIGITS;
  return flags;
}

/** `redactText` with the default rules, skipping text that cannot match them. */
export const redactFast = (text: string): string => (scanText(text) & (AT | DIGITS) ? redactText(text) : text);
