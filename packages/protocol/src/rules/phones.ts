/**
 * Phone numbers: 7–15 digits (E.164). Written with a `+` or `(` prefix, 7 are enough; otherwise at least 9, and
 * only in a form a number is written in: with separators (`030 1234 5678`), after a national trunk `0`
 * (`07911123456`), or as ten North American digits (`5551234567`). A bare run of digits is more often an id.
 */
export function isPhone(match: string): boolean {
  const digits = match.replace(/\D/g, '').length;
  return digits < 16 && (/^[+(]/.test(match) ? digits > 6 : digits > 8 && /\D|^0|^[2-9]\d\d[2-9]\d{6}$/.test(match));
}
