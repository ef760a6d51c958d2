/**
 * UUIDs compare case-insensitively (RFC 9562, section 4): `0193A2B4-…` and `0193a2b4-…` are one event. Keeps the
 * first spelling of each id in `unique`, lists later spellings in `repeats`, so a batch never stores one event twice.
 * The store gets `lowerId(event)`, the form PostgreSQL's uuid type gives the other backends. Found by the contract
 * suite: the reference receiver and the D1 Worker stored a resend in upper case as a second event; PostgreSQL did not.
 */
export function oncePerId<T extends { event_id: string }>(events: readonly T[]): { unique: T[]; repeats: string[] } {
  const seen = new Set<string>();
  const unique: T[] = [];
  const repeats: string[] = [];
  for (const event of events) {
    const id = event.event_id.toLowerCase();
    if (seen.has(id)) repeats.push(event.event_id);
    else {
      seen.add(id);
      unique.push(event);
    }
  }
  return { unique, repeats };
}

/** The event with its id in lower case (the stored form). */
export function lowerId<T extends { event_id: string }>(event: T): T {
  const id = event.event_id.toLowerCase();
  return id === event.event_id ? event : { ...event, event_id: id };
}
