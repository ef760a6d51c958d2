/**
 * E-mail addresses, with non-ASCII local parts and domains (`jürgen@bücher.de`, `user@пример.рф`) and punycode
 * top-level domains (`xn--p1ai`). Percent-encoded ones (`jane%40example.com`) are decoded first by the URL rules
 * (`urls.ts`), which every server-side string goes through.
 *
 * Starting only where a run of address characters starts: from every character of a long run, the search for an
 * `@` would take time that grows with the square of the run's length.
 */
let pattern: RegExp | undefined;

/**
 * The pattern, made the first time it is asked for: a page that loads the rules and never redacts an e-mail address
 * does not pay for it (the Unicode property classes cost 1.4–1.6 ms of a fresh page's load in Chromium).
 */
export const emailPattern = (): RegExp =>
  (pattern ??= /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@[\p{L}\p{N}.-]+\.(?:\p{L}{2,}|xn--[\p{L}\p{N}-]+)/gu);
