/**
 * A maker of valid events stamped a second before `now`, with ids in sequence (the tests' own, not a UUID source);
 * fields override.
 */
export function eventMaker(now: number, defaults: Record<string, unknown> = {}) {
  let counter = 0;
  return (overrides: Record<string, unknown> = {}): Record<string, unknown> & { event_id: string } => {
    counter++;
    return {
      event_id: `0190b6a0-0000-7000-8000-${String(counter).padStart(12, '0')}`,
      type: 'pageview',
      ts: now - 1000,
      site_id: 'site-1',
      visitor_id: 'v1',
      session_id: 's1',
      seq: counter,
      url: 'https://example.com/a',
      path: '/a',
      ...defaults,
      ...overrides,
    };
  };
}
