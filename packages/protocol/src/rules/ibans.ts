/** IBANs: two letters, two check digits and 11–30 letters or digits, however spaced, that pass ISO 13616 mod 97. */

/** Whether a string is an IBAN with a valid ISO 13616 mod-97 check (spaces and dashes ignored). */
export function ibanValid(text: string): boolean {
  const clean = text.replace(/[\s-]/g, '').toUpperCase();
  let remainder = 0;
  // Country and check digits moved to the end; letters count as 10–35, two digits each.
  for (const char of clean.slice(4) + clean.slice(0, 4)) {
    const value = parseInt(char, 36);
    remainder = ((value > 9 ? remainder * 100 : remainder * 10) + value) % 97;
  }
  return /^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(clean) && remainder === 1;
}

/**
 * The IBAN at the start of a match that may run on into the next words (`NL91ABNA0417164300 okay`): the longest
 * prefix ending at a separator or the match's end whose mod-97 check holds.
 */
export function redactIban(match: string, marker: string): string {
  for (let end = match.length; end > 0; end = Math.max(match.lastIndexOf(' ', end - 1), match.lastIndexOf('-', end - 1))) {
    if (ibanValid(match.slice(0, end))) return marker + match.slice(end);
  }
  return match;
}
