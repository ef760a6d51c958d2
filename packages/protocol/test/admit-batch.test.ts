import { describe, expect, it } from 'vitest';
import { type AdmittedBatch, admitBatch, redactEvent, SENSITIVE_VALUE, type TrailmarkEvent } from '../src/index.js';
import { eventMaker } from './events.js';

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const event = eventMaker(NOW);

/** A store in memory, keyed by id as a real one is: it inserts what it has not seen. */
function memoryStore() {
  const rows = new Map<string, TrailmarkEvent>();
  const calls: AdmittedBatch[] = [];
  const write = (batch: AdmittedBatch) => {
    calls.push(batch);
    const inserted = new Set<string>();
    for (const e of batch.events) {
      if (rows.has(e.event_id)) continue;
      rows.set(e.event_id, e);
      inserted.add(e.event_id);
    }
    return inserted;
  };
  return { rows, calls, write };
}

const OPTIONS = { now: NOW, siteId: 'site-1' };

describe('admitBatch', () => {
  it('stores a password sent in a form_submit as [redacted], in every shape forms travel in', async () => {
    const store = memoryStore();
    const form = event({
      type: 'form_submit',
      props: {
        values: { email: 'ann@example.com', password: 'hunter2', cardNumber: '4111111111111111', plan: 'pro' },
        fields: [
          { name: 'pin', value: '1234' },
          { name: 'x', type: 'password', value: 'hunter2' },
          { name: 'y', autocomplete: 'one-time-code', value: '999111' },
          { name: 'city', value: 'Oslo' },
        ],
        data: { user_pwd: 'hunter2' },
      },
    });
    const result = await admitBatch({ events: [form] }, OPTIONS, store.write);
    expect(result.ok).toBe(true);
    const stored = store.rows.get(form.event_id as string);
    expect(stored?.props).toEqual({
      values: { email: '[redacted:email]', password: SENSITIVE_VALUE, cardNumber: SENSITIVE_VALUE, plan: 'pro' },
      fields: [
        { name: 'pin', value: SENSITIVE_VALUE },
        { name: 'x', type: 'password', value: SENSITIVE_VALUE },
        { name: 'y', autocomplete: 'one-time-code', value: SENSITIVE_VALUE },
        { name: 'city', value: 'Oslo' },
      ],
      data: { user_pwd: SENSITIVE_VALUE },
    });
    expect(JSON.stringify([...store.rows.values()])).not.toContain('hunter2');
  });

  it('redacts free text of every event (URL, title, props) before the store sees it', async () => {
    const store = memoryStore();
    const e = event({
      url: 'https://example.com/?email=bob@example.com',
      title: 'card 4111 1111 1111 1111',
      props: { note: 'bob@example.com' },
    });
    await admitBatch({ events: [e] }, OPTIONS, store.write);
    const stored = store.rows.get(e.event_id as string);
    expect(stored).toMatchObject({
      url: 'https://example.com/?email=[redacted:email]',
      title: 'card [redacted:card]',
      props: { note: '[redacted:email]' },
    });
  });

  it('stores as sent when redaction is turned off', async () => {
    const store = memoryStore();
    const e = event({ type: 'form_submit', props: { values: { password: 'hunter2' } } });
    await admitBatch({ events: [e] }, { ...OPTIONS, redact: false }, store.write);
    expect(store.rows.get(e.event_id as string)?.props).toEqual({ values: { password: 'hunter2' } });
  });

  it('refuses an event of another site on its own, at its request index, and stores the rest', async () => {
    const store = memoryStore();
    const good = event();
    const foreign = event({ site_id: 'site-2' });
    const bad = event({ type: '9bad' });
    const result = await admitBatch({ events: [foreign, good, bad] }, OPTIONS, store.write);
    if (!result.ok) throw new Error(result.error);
    expect(result.response.accepted).toEqual([good.event_id]);
    expect(result.response.rejected).toEqual([
      { index: 0, event_id: foreign.event_id, reason: 'site_id: must be "site-1", the site of this key' },
      { index: 2, event_id: bad.event_id, reason: expect.stringContaining('type') },
    ]);
    expect([...store.rows.keys()]).toEqual([good.event_id]);
  });

  it('accepts any site when the key has none (a development key)', async () => {
    const store = memoryStore();
    const e = event({ site_id: 'anything' });
    const result = await admitBatch({ events: [e] }, { now: NOW }, store.write);
    expect(result.ok && result.response.accepted).toEqual([e.event_id]);
  });

  it('refuses what the store cannot hold with its reason, keeping the batch-mates', async () => {
    const store = memoryStore();
    const nul = event({ title: 'a\u0000b' });
    const good = event();
    const storable = (e: TrailmarkEvent) => (e.title?.includes('\0') ? 'strings must not contain U+0000 (NUL)' : undefined);
    const result = await admitBatch({ events: [nul, good] }, { ...OPTIONS, storable }, store.write);
    expect(result.ok && result.response).toMatchObject({
      accepted: [good.event_id],
      rejected: [{ index: 0, event_id: nul.event_id, reason: 'strings must not contain U+0000 (NUL)' }],
    });
  });

  it('stores one event per id in lower case and answers in the spelling the client sent', async () => {
    const store = memoryStore();
    const id = '0190B6A0-0000-7000-8000-00000000ABCD';
    const first = event({ event_id: id });
    const again = event({ event_id: id.toLowerCase() });
    const result = await admitBatch({ events: [first, again] }, OPTIONS, store.write);
    expect(result.ok && result.response).toEqual({ ok: true, accepted: [id], duplicates: [id.toLowerCase()], rejected: [] });
    expect([...store.rows.keys()]).toEqual([id.toLowerCase()]);
    const resent = await admitBatch({ events: [first] }, OPTIONS, store.write);
    expect(resent.ok && resent.response).toEqual({ ok: true, accepted: [], duplicates: [id], rejected: [] });
    expect(resent.ok && resent.stored).toEqual([]);
  });

  it('hands the store the skew and returns only the newly stored events', async () => {
    const store = memoryStore();
    const e = event({ ts: NOW - 3_600_000 });
    const result = await admitBatch({ sent_at: NOW - 3_600_000, events: [e] }, OPTIONS, store.write);
    expect(store.calls[0]?.skewMs).toBe(3_600_000);
    expect(result.ok && result.stored.map((s) => s.event_id)).toEqual([e.event_id]);
  });

  it('never calls the store when no event is left, and passes envelope errors through', async () => {
    const store = memoryStore();
    const result = await admitBatch({ events: [event({ site_id: 'site-2' })] }, OPTIONS, store.write);
    expect(result.ok && result.response.accepted).toEqual([]);
    expect(store.calls).toEqual([]);
    expect(await admitBatch({ events: [] }, OPTIONS, store.write)).toMatchObject({ ok: false, code: 'invalid_batch' });
    expect(await admitBatch(null, OPTIONS, store.write)).toMatchObject({ ok: false, code: 'invalid_batch' });
  });

  it('lets a store failure reach the caller (nothing was stored)', async () => {
    const failing = () => {
      throw new Error('disk full');
    };
    await expect(admitBatch({ events: [event()] }, OPTIONS, failing)).rejects.toThrow('disk full');
  });
});

describe('sensitive names in any event', () => {
  it('replaces values under sensitive names in every event type, keeping keys named __proto__ as data', () => {
    const click = event({ type: 'click', props: { values: { password: 'x' } } }) as unknown as TrailmarkEvent;
    expect(redactEvent(click).props).toEqual({ values: { password: SENSITIVE_VALUE } });
    const form = { ...event({ type: 'form_submit', props: { values: JSON.parse('{"__proto__":"keep","token":"t"}') } }) };
    const out = redactEvent(form as unknown as TrailmarkEvent);
    expect(out.props?.values).toEqual(JSON.parse(`{"__proto__":"keep","token":"${SENSITIVE_VALUE}"}`));
    expect(Object.getPrototypeOf(out.props?.values)).toBe(Object.prototype);
  });
});

describe('admitBatch with a check', () => {
  it("answers which asked ids the store holds, in the client's spelling, storing nothing", async () => {
    const store = memoryStore();
    const kept = event();
    await admitBatch({ events: [kept] }, OPTIONS, store.write);
    const asked: string[][] = [];
    const lookup = (ids: string[]) => {
      asked.push(ids);
      return ids.filter((id) => store.rows.has(id));
    };
    const other = event().event_id;
    const answer = await admitBatch({ v: 1, check: [kept.event_id.toUpperCase(), other, other] }, { ...OPTIONS, lookup }, store.write);
    expect(answer).toEqual({
      ok: true,
      response: { ok: true, stored: [kept.event_id.toUpperCase()], accepted: [], duplicates: [], rejected: [] },
      stored: [],
      skewMs: 0,
    });
    expect(asked).toEqual([[kept.event_id, other]]);
    expect(store.calls).toHaveLength(1);
  });

  it('refuses a bad check with a reason, and without a lookup treats the body as the batch it is not', async () => {
    const store = memoryStore();
    const lookup = () => [];
    expect(await admitBatch({ check: ['x y'] }, { ...OPTIONS, lookup }, store.write)).toMatchObject({ ok: false, code: 'invalid_batch' });
    expect(
      await admitBatch({ check: Array.from({ length: 501 }, () => event().event_id) }, { ...OPTIONS, lookup }, store.write),
    ).toMatchObject({ ok: false, code: 'payload_too_large' });
    expect(await admitBatch({ check: [] }, OPTIONS, store.write)).toMatchObject({ ok: false, code: 'invalid_batch' });
  });
});
