import { describe, expect, it } from 'vitest';
import { ingestResponse, MAX_PROPS_DEPTH, parseBatch } from '../src/index.js';
import { eventMaker } from './events.js';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const event = eventMaker(NOW, { url: 'https://example.com/a?utm_source=x' });

describe('parseBatch', () => {
  it('keeps every valid event and refuses each bad one with its own reason', () => {
    const good = event();
    const result = parseBatch(
      {
        v: 1,
        sent_at: NOW,
        events: [good, event({ type: '9bad' }), event({ event_id: 'nope' }), 'string', event({ props: { a: 'x'.repeat(5000) } })],
      },
      { now: NOW },
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.events.map((e) => e.event_id)).toEqual([good.event_id]);
    expect(result.rejected.map((r) => r.index)).toEqual([1, 2, 3, 4]);
    expect(result.rejected[0]?.reason).toMatch(/^type: /);
    expect(result.rejected[1]?.reason).toMatch(/event_id: must be a UUID/);
    expect(result.rejected[2]?.reason).toBe('an event must be a JSON object');
    expect(result.rejected[3]?.reason).toMatch(/props strings must be at most/);
  });

  it('answers an unusable envelope with an error instead of throwing', () => {
    for (const input of [null, 42, 'x', [], {}, { events: 'no' }, { v: 2, events: [] }, { events: [] }]) {
      const result = parseBatch(input, { now: NOW });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toMatch(/\w/);
    }
  });

  it('reports a repeat inside one batch as a duplicate, not a second event', () => {
    const one = event();
    const result = parseBatch({ events: [one, { ...one }] }, { now: NOW });
    expect(result.ok && result.events.length).toBe(1);
    expect(result.ok && result.duplicates).toEqual([one.event_id]);
  });

  it('corrects a skewed client clock with sent_at before judging event age', () => {
    const hourAhead = 60 * 60 * 1000;
    const result = parseBatch({ sent_at: NOW + hourAhead, events: [event({ ts: NOW + hourAhead - 500 })] }, { now: NOW });
    expect(result.ok && result.skewMs).toBe(-hourAhead);
    expect(result.ok && result.events.length).toBe(1);
    const future = parseBatch({ sent_at: NOW, events: [event({ ts: NOW + hourAhead })] }, { now: NOW });
    expect(future.ok && future.rejected[0]?.reason).toBe('ts: lies in the future');
  });

  it('refuses props nested deeper than the limit without recursion', () => {
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 100_000; i++) {
      const next = {};
      deep.a = next;
      deep = next;
    }
    const result = parseBatch({ events: [event({ props: root })] }, { now: NOW });
    expect(result.ok && result.rejected[0]?.reason).toBe(`props: props nest at most ${MAX_PROPS_DEPTH} levels deep`);
  });

  it('drops unknown fields instead of storing them', () => {
    const result = parseBatch({ events: [event({ evil: '<script>' })] }, { now: NOW });
    expect(result.ok && 'evil' in (result.events[0] ?? {})).toBe(false);
  });
});

describe('ingestResponse', () => {
  it('splits valid events into newly stored and already stored', () => {
    const a = event();
    const b = event();
    const parsed = parseBatch({ events: [a, b, { ...b }, { nope: 1 }] }, { now: NOW });
    if (!parsed.ok) throw new Error(parsed.error);
    const answer = ingestResponse(parsed, new Set([a.event_id]));
    expect(answer.accepted).toEqual([a.event_id]);
    expect(answer.duplicates.sort()).toEqual([b.event_id, b.event_id].sort());
    expect(answer.rejected).toHaveLength(1);
  });
});
