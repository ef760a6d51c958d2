import { ROLLUP_TABLES } from '@trailmark/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchInit, event, secret, startTestWorker, type TestWorker } from './helpers.js';

const HOUR = 3_600_000;
const PANELS = [
  'summary',
  'timeseries',
  'breakdown?by=page',
  'breakdown?by=source',
  'goals',
  'vitals',
  'scroll',
  'engagement',
  'revenue',
  'outbound',
  'completeness',
  'funnel?step=page:/&step=event:signup',
  'summary?bots=only',
];

describe('d1 visit rollups', () => {
  let worker: TestWorker;
  const now = Date.now();
  const read = async (panel: string) => {
    const [name, query = ''] = panel.split('?');
    const answer = await worker.call(`/v1/stats/${name}?from=${now - 48 * HOUR}&to=${now + HOUR}&${query}`, { headers: secret() });
    expect(answer.status).toBe(200);
    return answer.body.data;
  };
  beforeAll(async () => {
    worker = await startTestWorker();
  });
  afterAll(async () => {
    await worker?.mf.dispose();
  });

  it('rebuild a visit whose events arrive one request at a time, in any order, and again when resent', async () => {
    const at = now - 5 * HOUR;
    const events = [
      event({ session_id: 's1', ts: at + 3000, seq: 3, type: 'signup', props: { plan: 'pro', revenue: { amount: 5, currency: 'EUR' } } }),
      event({ session_id: 's1', ts: at + 2000, seq: 2, type: 'pageview', path: '/docs', url: 'https://acme.example/docs' }),
      event({ session_id: 's1', ts: at, seq: 1, referrer: 'https://www.google.com/' }),
      event({ session_id: 's1', ts: at + 2500, seq: 5, type: 'scroll_depth', path: '/docs', props: { milestone: 75 } }),
      event({ session_id: 's1', ts: at + 2600, seq: 6, type: 'sdk_dropped', props: { queue_full: 2 } }),
    ];
    for (const one of events) expect((await worker.call('/track/batch', batchInit([one]))).status).toBe(200);
    await worker.call('/track/batch', batchInit(events));
    expect(await read('summary')).toEqual({ visitors: 1, visits: 1, pageviews: 2, bounces: 0, duration_s: 3 });
    expect(await read('breakdown?by=source')).toEqual({ by: 'source', rows: [{ value: 'search', visitors: 1, visits: 1, pageviews: 2 }] });
    expect(await read('revenue')).toEqual({ rows: [{ name: 'signup', currency: 'EUR', visitors: 1, events: 1, amount: 5 }] });
    expect(await read('completeness')).toMatchObject({ days: [{ lost: 1, dropped: { queue_full: 2 } }] });
  });

  it('fill the rollups of events stored before migration 0008 from the stats reads', async () => {
    const before: unknown[] = [];
    for (const panel of PANELS) before.push(await read(panel));
    // As a database migrated from 0006 holds it: events, no rollups, the backfill to do.
    for (const table of ROLLUP_TABLES) await worker.db.prepare(`DELETE FROM ${table}`).run();
    await worker.db.prepare('UPDATE visit_backfill SET next_rowid = 0, end_rowid = (SELECT max(rowid) FROM events) WHERE id = 1').run();
    const after: unknown[] = [];
    for (const panel of PANELS) after.push(await read(panel));
    expect(after).toEqual(before);
    expect(await worker.db.prepare('SELECT next_rowid = end_rowid AS done FROM visit_backfill').first()).toEqual({ done: 1 });
  });
});
