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
  /**
   * Where only part of a match may be sensitive (a card number followed by its expiry date): returns the match with
   * that part replaced by `marker`, or the match unchanged. Takes the place of `validate`.
   */
  redact?: (match: string, marker: string) => string;
}

/** Whether a digit string passes the Luhn checksum used by payment cards. */
export function luhnValid(digits: string): boolean {
  const clean = digits.replace(/\D/g, '');
  if (clean.length < 12 || clean.length > 19) return false;
  let sum = 0;
  // From the right, every second digit doubled (minus 9 past 9): 0 2 4 6 8 1 3 5 7 9.
  for (let i = clean.length, odd = 1; i--; odd ^= 1) sum += odd ? +clean[i]! : +'0246813579'[+clean[i]!]!;
  return sum % 10 === 0;
}

/** Whether a string is an IBAN with a valid ISO 13616 mod-97 check. */
export function ibanValid(text: string): boolean {
  const clean = text.replace(/\s/g, '').toUpperCase();
  let remainder = 0;
  // Country and check digits moved to the end; letters count as 10–35, two digits each.
  for (const char of clean.slice(4) + clean.slice(0, 4)) {
    const value = parseInt(char, 36);
    remainder = ((value > 9 ? remainder * 100 : remainder * 10) + value) % 97;
  }
  return /^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(clean) && remainder === 1;
}

/**
 * The card numbers in a run of digit groups (`4111 1111 1111 1111 05 27`, `qty 2 4111…`): from each group of 3 or
 * more digits, left to right, the longest stretch of whole groups with 12–19 digits, not starting with 0, that passes
 * Luhn is a card, so digits written beside a card (its expiry, its code, a quantity) never hide it. Cards are written
 * in groups of 4 to 6 (or none), and starting from short groups only would let a hostile run (`1 1 1 …`) cost the
 * servers, which run this on every string they receive, thousands of checks. The rule's pattern never starts a run
 * after a `+`: that is an international phone number (`+49 151 1234 5678` may pass Luhn by chance), left whole for
 * the phone rule.
 */
function redactCards(run: string, marker: string): string {
  const groups = [...run.matchAll(/\d+/g)];
  let out = '';
  let done = 0;
  for (const [i, { index: start, 0: first }] of groups.entries()) {
    if (start < done || first[0] === '0' || first.length < 3) continue;
    let end = 0;
    let digits = '';
    for (const group of groups.slice(i, i + 7)) {
      digits += group[0];
      if (luhnValid(digits)) end = group.index + group[0].length;
    }
    if (end) {
      out += run.slice(done, start) + marker;
      done = end;
    }
  }
  return out + run.slice(done);
}

/**
 * The IBAN at the start of a match that may run on into the next words (`NL91ABNA0417164300 okay`): the longest
 * prefix ending at a space or the match's end whose mod-97 check holds.
 */
function redactIban(match: string, marker: string): string {
  for (let end = match.length; end > 0; end = match.lastIndexOf(' ', end - 1)) {
    if (ibanValid(match.slice(0, end))) return marker + match.slice(end);
  }
  return match;
}

/**
 * Phone numbers: 7–15 digits (E.164). Written with a `+` or `(` prefix, 7 are enough; otherwise at least 9, and
 * only in a form a number is written in: with separators (`030 1234 5678`), after a national trunk `0`
 * (`07911123456`), or as ten North American digits (`5551234567`). A bare run of digits is more often an id.
 */
function isPhone(match: string): boolean {
  const digits = match.replace(/\D/g, '').length;
  return digits < 16 && (/^[+(]/.test(match) ? digits > 6 : digits > 8 && /\D|^0|^[2-9]\d\d[2-9]\d{6}$/.test(match));
}

/** The built-in rules, in the order they run (cards before phones, so card digits are named as cards). */
export const DEFAULT_REDACTION_RULES: readonly RedactionRule[] = [
  { name: 'card', pattern: /(?<!\+)\b\d(?:[ -]?\d){11,}/g, redact: redactCards },
  // At most 30 characters after the check digits, and a space between groups of 4: 40 at most.
  { name: 'iban', pattern: /\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,40}/g, redact: redactIban },
  // Starting only where a run of address characters starts: from every character of a long run, the search for
  // an `@` would take time that grows with the square of the run's length.
  { name: 'email', pattern: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g },
  { name: 'ssn', pattern: /\b\d{3}-\d{2}-\d{4}\b/g },
  {
    name: 'phone',
    pattern: /(?:\+\d{0,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\b\d{1,15}(?:[ .-]\d{1,8}){0,5}\b/g,
    validate: isPhone,
  },
];

/**
 * Every default rule needs an `@` (email), 7 or more digits (phone, SSN, card) or two letters followed by two digits
 * (IBAN): text with none of them, most text, cannot match, and the rules' regular expressions are not run. Servers
 * redact every string of every event on the ingest path, so this matters there (browsers redact a few strings, and
 * do not carry this check).
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
  let out = text;
  for (const rule of rules) {
    const marker = `[redacted:${rule.name}]`;
    out = out.replace(rule.pattern, (match) =>
      rule.redact ? rule.redact(match, marker) : rule.validate && !rule.validate(match) ? match : marker,
    );
  }
  return out;
}

/** `redactText` with the default rules, skipping text that cannot match them. */
const redactFast = (text: string) => (mayMatchDefaultRules(text) ? redactText(text) : text);

/** A percent-encoded byte: only a component holding one (or, in a query, a `+`) has a decoded form to check. */
const ENCODED = /%[0-9A-Fa-f]{2}/;
/** How many layers of encoding are undone (`%252540` is `@` encoded three times); deeper ones stay as they are. */
const MAX_DECODE_DEPTH = 3;
const MARKER = /(\[redacted:[\w-]+\])/;

/**
 * One layer of percent-decoding that never throws: a run of escapes that is not valid UTF-8 (`%E0%A4`, a stray
 * `%zz`) keeps its ASCII escapes decoded and the rest as written.
 */
function percentDecode(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run.replace(/%([0-7][0-9A-Fa-f])/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    }
  });
}

/**
 * One layer of percent-encoding, as `encodeURIComponent` writes it (a space as `+` in a query), leaving the
 * redaction markers readable: `[`, `]` and `:` are allowed as they are in a URL's path and query. A lone surrogate
 * (which `encodeURIComponent` refuses) becomes U+FFFD.
 */
function percentEncode(text: string, query: boolean): string {
  return text
    .split(MARKER)
    .map((part, i) => {
      if (i % 2) return part;
      const encoded = encodeURIComponent(part.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'));
      return query ? encoded.replace(/%20/g, '+') : encoded;
    })
    .join('');
}

/**
 * One component of a URL (a path segment, a query name or value, a fragment part) with what its decoded form
 * reveals redacted: `jane.doe%40example.com` is an e-mail address once decoded. Unchanged unless decoding revealed
 * a match, so a clean URL is stored byte for byte; a changed one is encoded again, one layer per layer decoded, so
 * it stays a valid URL. In a query, `+` is read both ways: as a `+` (`jane+news%40example.com`, a sloppy encoder's
 * plus address) and, after that, as the space form encoding makes it (`call+030+1234+5678`).
 */
function redactComponent(raw: string, query: boolean, depth: number): string {
  if (depth >= MAX_DECODE_DEPTH || !(ENCODED.test(raw) || (query && raw.includes('+')))) return raw;
  const decoded = percentDecode(raw);
  let text = redactFast(decoded);
  const spaced = query ? decoded.replace(/\+/g, ' ') : decoded;
  if (query) text = redactFast(text.replace(/\+/g, ' '));
  // A decoded component may itself be an encoded URL (`?next=%2Fcart%3Femail%3Djane%2540example.com`).
  text = redactUrlParts(text, depth + 1);
  return text === spaced ? raw : percentEncode(text, query);
}

/** Splits `text` at `delimiters` (kept) and redacts each piece between them as a component. */
const redactComponents = (text: string, delimiters: RegExp, query: boolean, depth: number) =>
  text
    .split(delimiters)
    .map((piece, i) => (i % 2 ? piece : redactComponent(piece, query, depth)))
    .join('');

/** A URL (or a path, or a decoded component that is one) cut into path segments, query names and values, fragment. */
function redactUrlParts(url: string, depth: number): string {
  const hash = url.indexOf('#');
  const fragment = hash < 0 ? '' : url.slice(hash + 1);
  const beforeHash = hash < 0 ? url : url.slice(0, hash);
  const mark = beforeHash.indexOf('?');
  let out = redactComponents(mark < 0 ? beforeHash : beforeHash.slice(0, mark), /(\/)/, false, depth);
  if (mark >= 0) out += `?${redactComponents(beforeHash.slice(mark + 1), /([&=;])/, true, depth)}`;
  // A fragment is often an app's own route with a query (`#/reset?email=…`): read it as a URL too.
  if (hash >= 0) out += `#${redactUrlParts(fragment, depth)}`;
  return out;
}

/**
 * `redactText` for a URL or a path: the rules run over the text as written, then over each component decoded
 * (path segments, query names and values, the fragment's parts), so a percent-encoded (`%40`), form-encoded (`+`)
 * or doubly encoded e-mail address or card number is found too. Components where decoding finds nothing are kept
 * byte for byte; one where it finds something is stored decoded, redacted and encoded again.
 */
export function redactUrl(url: string): string {
  const out = redactFast(url);
  return ENCODED.test(out) || out.includes('+') ? redactUrlParts(out, 0) : out;
}

/**
 * The servers' second line of defence: over every free-text field of an event (URL, path, title, referrer: an
 * e-mail address in a query string is personal data too; URLs through `redactUrl`, which decodes them first) and
 * every string in its props (those that are URLs, such as a click's `href`, through `redactUrl` too).
 */
export function redactEvent(event: TrailmarkEvent): TrailmarkEvent {
  const out: TrailmarkEvent = { ...event, url: redactUrl(event.url), path: redactUrl(event.path) };
  if (event.title !== undefined) out.title = redactFast(event.title);
  if (event.referrer !== undefined) out.referrer = redactUrl(event.referrer);
  if (event.props !== undefined) out.props = redactValue(event.props) as Props;
  return out;
}

/** A prop that is a URL (a click's `href`, a page's own links) is redacted as one: decoded first. */
const URL_LIKE = /^(?:https?:\/\/|\/(?!\/))/i;

// Props are at most 4 levels deep (parseBatch checks them), so the recursion is bounded. `fromEntries` defines
// keys as data properties, so a key named `__proto__` stays data.
function redactValue(value: PropValue): PropValue {
  if (typeof value === 'string') return URL_LIKE.test(value) ? redactUrl(value) : redactFast(value);
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
/**
 * Tested on a name in snake case (`cardNumber` → `card_number`): the short words (pin, otp, ssn, cvv, …) only as
 * whole words, so `shipping`, `opinion` and `spinner` stay, while `pinCode` and `user_pin` are caught.
 */
const SENSITIVE_NAME =
  /card|cc_?(num|no\b|exp)|security_?code|social_?security|pass|pwd|iban|token|secret|account_?(num|no\b)|routing|(^|[^a-z])(pin|otp|ssn|cvv|cvc|csc|cvn|tan)([^a-z]|$)/;
const snakeCase = (name: string) => name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();

/** Whether a field's value must never be captured, even when allowlisted. */
export function isSensitiveField(field: FieldDescription): boolean {
  if (field.type && SENSITIVE_TYPES.has(field.type.toLowerCase())) return true;
  // Every token: `current-password webauthn` and `section-pay cc-number` are both valid autocomplete values.
  const tokens = field.autocomplete?.toLowerCase().trim().split(/\s+/) ?? [];
  if (tokens.some((token) => SENSITIVE_AUTOCOMPLETE.test(token))) return true;
  return SENSITIVE_NAME.test(snakeCase(field.name ?? '')) || SENSITIVE_NAME.test(snakeCase(field.id ?? ''));
}
