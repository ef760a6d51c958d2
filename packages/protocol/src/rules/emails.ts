/**
 * E-mail addresses, with non-ASCII local parts and domains (`jürgen@bücher.de`, `user@пример.рф`) and punycode
 * top-level domains (`xn--p1ai`). Percent-encoded ones (`jane%40example.com`) are decoded first by the URL rules
 * (`urls.ts`), which every server-side string goes through.
 *
 * Starting only where a run of address characters starts: from every character of a long run, the search for an
 * `@` would take time that grows with the square of the run's length.
 */
export const EMAIL_PATTERN = /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@[\p{L}\p{N}.-]+\.(?:\p{L}{2,}|xn--[\p{L}\p{N}-]+)/gu;
