/** Card numbers: 12–19 digits that pass Luhn, written with or without separators (space, dash, dot, slash). */

/** Whether a digit string passes the Luhn checksum used by payment cards. */
export function luhnValid(digits: string): boolean {
  const clean = digits.replace(/\D/g, '');
  if (clean.length < 12 || clean.length > 19) return false;
  let sum = 0;
  // From the right, every second digit doubled (minus 9 past 9): 0 2 4 6 8 1 3 5 7 9.
  for (let i = clean.length, odd = 1; i--; odd ^= 1) sum += odd ? +clean[i]! : +'0246813579'[+clean[i]!]!;
  return sum % 10 === 0;
}

/**
 * The card numbers in a run of digit groups (`4111 1111 1111 1111 05 27`, `qty 2 4111…`): from each group of 3 or
 * more digits, left to right, the longest stretch of whole groups with 12–19 digits, not starting with 0, that passes
 * Luhn is a card, so digits written beside a card (its expiry, its code, a quantity) never hide it. Cards are written
 * in groups of 4 to 6 (or none), and starting from short groups only would let a hostile run (`1 1 1 …`) cost the
 * servers, which run this on every string they receive, thousands of checks.
 */
export function redactCards(run: string, marker: string): string {
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
