import { describe, expect, it } from 'vitest';
import { type AdmittedBatch, admitBatch, eventSchema, redactText, type TrailmarkEvent } from '../src/index.js';
import { KEPT_FIELDS, TEXT_FIELDS } from '../src/redact.js';
import { eventMaker } from './events.js';

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);

/** The first id `make(n)` gives, n = 0, 1, …, that the card rule would eat part of: the web-vitals id's failure. */
function luhnId(make: (n: number) => string): string {
  for (let n = 0; ; n++) if (redactText(make(n)).includes('[redacted:card]')) return make(n);
}

describe('ids are never redacted', () => {
  // `v6-<ms>-<13 digits>`: web-vitals' own id shape, which passes Luhn about one time in six.
  const vitalsId = luhnId((n) => `v6-${NOW}-${String(1234567890123 + n)}`);
  const digitsId = luhnId((n) => `4111-1111-1111-${String(1000 + n)}`);
  const uuid = luhnId((n) => `41111111-1111-4111-8111-${String(100000000000 + n)}`);

  it('keeps an id of digits and dashes that passes Luhn whole in every id field', async () => {
    expect([vitalsId, digitsId, uuid].every((id) => redactText(id) !== id)).toBe(true);
    const event = eventMaker(NOW)({
      event_id: uuid,
      type: 'web_vital',
      visitor_id: digitsId,
      session_id: vitalsId,
      props: { name: 'LCP', value: 1234.5, id: vitalsId, rating: 'good' },
    });
    const stored: AdmittedBatch[] = [];
    await admitBatch({ events: [event] }, { now: NOW }, (batch) => {
      stored.push(batch);
      return new Set(batch.events.map((e) => e.event_id));
    });
    const out = stored[0]?.events[0] as TrailmarkEvent;
    expect([out.event_id, out.visitor_id, out.session_id, out.props?.id]).toEqual([uuid, digitsId, vitalsId, vitalsId]);
    expect([out.ts, out.seq, out.props?.value]).toEqual([event.ts, event.seq, 1234.5]);
  });
});

describe('the fields redaction reads', () => {
  it('are every string field of the event schema: each redacted or kept by name', () => {
    const strings = Object.entries(eventSchema.entries)
      .filter(
        ([, schema]) =>
          JSON.stringify(schemaTypes(schema)).includes('"string"') || JSON.stringify(schemaTypes(schema)).includes('"picklist"'),
      )
      .map(([key]) => key)
      .sort();
    expect([...TEXT_FIELDS, ...KEPT_FIELDS].sort()).toEqual(strings);
  });
});

/** The kinds a valibot schema (and what it wraps or pipes) is made of. */
function schemaTypes(schema: unknown): string[] {
  const s = schema as { type?: string; wrapped?: unknown; pipe?: unknown[] };
  return [s.type ?? '', ...(s.wrapped ? schemaTypes(s.wrapped) : []), ...(s.pipe?.[0] ? schemaTypes(s.pipe[0]) : [])];
}
