import { isSensitiveNormalName, normalName } from './names.js';
import { AT, DIGITS, EQUALS, PERCENT, PLUS, redactFast, redactText, scanText } from './text.js';

/**
 * URLs and text that may hold encoded values: userinfo removed (`https://user:secret@host/` → `https://host/`), the
 * values of secret query parameters replaced whole (`?token=…`, `?code=…`, any name `isSensitiveKey` knows), and the
 * value rules run over the text as written and over every component decoded (path segments, query names and values,
 * the fragment), once, twice or three times encoded. The servers run this over every string of every event.
 */

/** What replaces a value that is sensitive by its name (a query parameter, a prop, a form field): whole. */
export const SENSITIVE_VALUE = '[redacted]';

/** A percent-encoded byte: only a component holding one (or, in a query, a `+`) has a decoded form to check. */
const ENCODED = /%[0-9A-Fa-f]{2}/;
/** How many layers of encoding are undone (`%252540` is `@` encoded three times); deeper ones stay as they are. */
const MAX_DECODE_DEPTH = 3;
const MARKER = /(\[redacted(?::[\w-]+)?\])/;
/** A URL's userinfo: after `scheme://` or a relative `//`, up to the `@` before the host. */
const USERINFO = /((?:[A-Za-z][A-Za-z0-9+.-]*:)?\/\/)[^\s/?#@\\]*@/g;
/** Query parameters that carry secrets by convention (OAuth codes, signed URLs) besides every sensitive name. */
const SECRET_PARAMS =
  /^(?:code|auth_?code|key|sig|signature|ticket|oauth_?verifier|oauth_?token|hmac|x_amz_(?:credential|signature|security_token))$/;

/** Whether a query parameter's value is replaced whole by its name. */
export function isSecretParam(name: string): boolean {
  const normal = normalName(name);
  return isSensitiveNormalName(normal) || SECRET_PARAMS.test(normal);
}

/** Decides whether a query parameter's name is a secret (`isSecretParam`, or a memo of it). */
type SecretCheck = (name: string) => boolean;

/** The value rules over plain text, userinfo removed first (its `user:pw@host` would read as an e-mail address). */
const redactPlain = (text: string) => redactFast(text.includes('@') ? text.replace(USERINFO, '$1') : text);

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
 * it stays a valid URL. In a query, `+` is the space form encoding makes it (`call+030+1234+5678`), except in an
 * e-mail address, where it is read as a `+` first (`jane+news%40example.com`, a sloppy encoder's plus address).
 */
function redactComponent(raw: string, query: boolean, depth: number, secret: SecretCheck): string {
  if (depth >= MAX_DECODE_DEPTH || !(ENCODED.test(raw) || (query && raw.includes('+')))) return raw;
  const decoded = percentDecode(raw);
  // Form decoding: `+` is a space, `%2B` a plus (`%2B44+20+7946+0958` is `+44 20 7946 0958`).
  const spaced = query ? percentDecode(raw.replace(/\+/g, ' ')) : decoded;
  let text = query && decoded.includes('@') ? redactPlain(redactPlain(decoded).replace(/\+/g, ' ')) : redactPlain(spaced);
  // A decoded component may itself be an encoded URL (`?next=%2Fcart%3Femail%3Djane%2540example.com`).
  text = redactUrlParts(text, depth + 1, secret);
  return text === spaced ? raw : percentEncode(text, query);
}

/** Splits a path at `/` (kept) and redacts each segment as a component. */
const redactPath = (path: string, depth: number, secret: SecretCheck) =>
  path
    .split(/(\/)/)
    .map((piece, i) => (i % 2 ? piece : redactComponent(piece, false, depth, secret)))
    .join('');

/**
 * A query (`a=1&token=…;b`) cut at `&`, `;` and `=`: a value whose name is a secret (decoded) replaced whole, every
 * other name and value redacted as a component.
 */
function redactQuery(query: string, depth: number, secret: SecretCheck): string {
  const pieces = query.split(/([&=;])/);
  for (let i = 0; i < pieces.length; i += 2) {
    const startsPair = i === 0 || pieces[i - 1] !== '=';
    if (startsPair && pieces[i + 1] === '=' && i + 2 < pieces.length && secret(percentDecode(pieces[i] as string))) {
      if (pieces[i + 2] !== '') pieces[i + 2] = SENSITIVE_VALUE;
      i += 2;
      continue;
    }
    pieces[i] = redactComponent(pieces[i] as string, true, depth, secret);
  }
  return pieces.join('');
}

/** A URL (or a path, or a decoded component that is one) cut into path segments, query names and values, fragment. */
function redactUrlParts(url: string, depth: number, secret: SecretCheck): string {
  const hash = url.indexOf('#');
  const fragment = hash < 0 ? '' : url.slice(hash + 1);
  const beforeHash = hash < 0 ? url : url.slice(0, hash);
  const mark = beforeHash.indexOf('?');
  let out = redactPath(mark < 0 ? beforeHash : beforeHash.slice(0, mark), depth, secret);
  if (mark >= 0) out += `?${redactQuery(beforeHash.slice(mark + 1), depth, secret)}`;
  // A fragment is often an app's own route with a query (`#/reset?email=…`), or a query itself (an OAuth implicit
  // flow's `#access_token=…`): read it as a URL or as a query.
  if (hash >= 0)
    out += `#${fragment.includes('=') && !fragment.includes('?') ? redactQuery(fragment, depth, secret) : redactUrlParts(fragment, depth, secret)}`;
  return out;
}

/**
 * Whether a plain (unencoded) string names a secret query parameter (a name after `?`, `&`, `;` or `#`, before `=`):
 * only then is it cut into parts for that. A loop over the `=` signs, not a regular expression: it runs on every
 * string with an `=` the servers receive.
 */
function hasSecretParam(text: string, secret: SecretCheck): boolean {
  for (let eq = text.indexOf('='); eq > 0; eq = text.indexOf('=', eq + 1)) {
    let start = eq - 1;
    for (; start >= 0; start--) {
      const code = text.charCodeAt(start);
      // ? & ; # end the name before it; = and white space mean this is no name.
      if (code === 63 || code === 38 || code === 59 || code === 35 || code === 61 || code <= 32) break;
    }
    const code = text.charCodeAt(start);
    if (start >= 0 && start < eq - 1 && (code === 63 || code === 38 || code === 59 || code === 35) && secret(text.slice(start + 1, eq))) {
      return true;
    }
  }
  return false;
}

/**
 * The rules for any string that may be a URL, a path or text holding encoded values: userinfo removed, secret query
 * values replaced, the value rules run over the text as written and over each component decoded, so a
 * percent-encoded (`%40`), form-encoded (`+`) or doubly encoded e-mail address or card number is found too.
 * Components where decoding finds nothing are kept byte for byte; one where it finds something is stored decoded,
 * redacted and encoded again. `secret` decides which query names are secrets (a redactor passes a memo of it).
 */
export function redactUrl(url: string, secret: SecretCheck = isSecretParam): string {
  const flags = scanText(url);
  let out = flags & AT ? url.replace(USERINFO, '$1') : url;
  if (flags & (AT | DIGITS)) out = redactText(out);
  if (!(flags & (PERCENT | PLUS) || (flags & EQUALS && hasSecretParam(out, secret)))) return out;
  // Text with spaces (a title, a note) is read word by word, each word as a URL: `write to jane%40example.com`.
  return /\s/.test(out)
    ? out
        .split(/(\s+)/)
        .map((word, i) => (i % 2 ? word : redactUrlParts(word, 0, secret)))
        .join('')
    : redactUrlParts(out, 0, secret);
}
