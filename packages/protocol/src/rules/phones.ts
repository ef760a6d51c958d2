/**
 * Phone numbers: 7–15 digits (E.164). Written with a `+` or `(` prefix, 7 are enough; otherwise at least 9, and
 * only in a form a number is written in: with separators (`030 1234 5678`), after a national trunk `0`
 * (`07911123456`), or as ten North American digits (`5551234567`). A bare run of digits is more often an id.
 */
export function isPhone(match: string): boolean {
  const digits = match.replace(/\D/g, '').length;
  return digits < 16 && (/^[+(]/.test(match) ? digits > 6 : digits > 8 && /\D|^0|^[2-9]\d\d[2-9]\d{6}$/.test(match));
}

/** A US social security number as written (`078-05-1120`): a national id in the shape of a phone fragment. */
export const SSN_RULE = { name: 'ssn', pattern: /\b\d{3}-\d{2}-\d{4}\b/g };

/**
 * Runs of digit groups that `isPhone` then judges. Runs after the card rule, so card digits are named as cards. A
 * `+` right after a digit or `)` is a form-encoded space (`030+12345678`), not the start of a number.
 */
export const PHONE_RULE = {
  name: 'phone',
  pattern: /(?<![\w+)])(?:\+\d{0,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\b\d{1,15}(?:[ .-]\d{1,8}){0,5}\b/g,
  validate: isPhone,
};
