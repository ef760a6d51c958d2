import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { openStore } from '../src/index.js';
import { makeEvent, tempDir } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (text: string) => out.push(text), err: (text: string) => err.push(text) }, out, err };
}

// What `localStorage.getItem('cv_analytics_events')` holds in the seed app: track-shaped events, months old.
const backup = [
  { event_type: 'tool_used', session_id: 'session_1', timestamp: '2026-09-18T01:12:00.000Z', tool_name: 'Start/Sit', action: 'viewed' },
  { event_type: 'risk_mode_changed', session_id: 'session_1', timestamp: '2026-09-18T01:13:00.000Z', properties: { risk_mode: 'protect' } },
  { event_type: 'tool_used', session_id: 'session_2', timestamp: '2026-09-18T02:00:00.000Z', tool_name: 'FAAB', demo_mode: false },
];

describe('trailmark-receiver import', () => {
  it('back-fills a localStorage export and a second run stores nothing new', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const file = join(dir, 'events-backup.json');
    // Pasted from the console: the localStorage value is itself a JSON string.
    writeFileSync(file, JSON.stringify(JSON.stringify(backup)));
    const data = join(dir, 'data');

    const first = capture();
    expect(await main(['import', file, '--site', 'demo', '--data-dir', data], first.io)).toBe(0);
    expect(JSON.parse(first.out[0] ?? '')).toEqual({ ok: true, total: 3, imported: 3, duplicates: 0, rejected: [] });

    const second = capture();
    expect(await main(['import', file, '--site', 'demo', '--data-dir', data], second.io)).toBe(0);
    expect(JSON.parse(second.out[0] ?? '')).toMatchObject({ imported: 0, duplicates: 3 });

    const store = openStore({ dataDir: data });
    cleanups.push(() => store.close());
    const { events } = store.listEvents({ limit: 10, order: 'arrival' });
    expect(events.map((e) => [e.event.type, e.event.session_id, e.source])).toEqual([
      ['tool_used', 'session_1', 'import'],
      ['risk_mode_changed', 'session_1', 'import'],
      ['tool_used', 'session_2', 'import'],
    ]);
    expect(events[0]?.ts).toBe(Date.parse('2026-09-18T01:12:00.000Z'));
    const rollups = store.rollups('demo', 0, Date.now());
    expect(rollups.map((r) => [new Date(r.hour).toISOString(), r.totalEvents, r.uniqueSessions, r.dimensions.tool_usage])).toEqual([
      ['2026-09-18T01:00:00.000Z', 2, 1, { 'Start/Sit': 1 }],
      ['2026-09-18T02:00:00.000Z', 1, 1, { FAAB: 1 }],
    ]);
  });

  it('imports native events by their event_id and rejects the bad ones with reasons', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const file = join(dir, 'export.json');
    const old = makeEvent({ ts: Date.UTC(2026, 0, 1) });
    const foreign = makeEvent({ site_id: 'other' });
    writeFileSync(file, JSON.stringify({ events: [old, foreign, { event_type: 'x' }] }));
    const run = capture();
    expect(await main(['import', file, '--site', 'demo', '--memory'], run.io)).toBe(0);
    const result = JSON.parse(run.out[0] ?? '') as { imported: number; rejected: Array<{ index: number; reason: string }> };
    expect(result.imported).toBe(1);
    expect(result.rejected.map((r) => r.index)).toEqual([1, 2]);
    expect(result.rejected[0]?.reason).toMatch(/site_id/);
    expect(result.rejected[1]?.reason).toMatch(/session_id/);
  });

  it('fails with a message, not a crash, on a file that is not an export', async () => {
    const { dir, remove } = tempDir();
    cleanups.push(remove);
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{"hello": "world"}');
    const run = capture();
    expect(await main(['import', file, '--memory'], run.io)).toBe(1);
    expect(run.err[0]).toMatch(/must be a JSON array of events/);
    const missing = capture();
    expect(await main(['import', join(dir, 'nope.json'), '--memory'], missing.io)).toBe(1);
    expect(missing.err[0]).toMatch(/cannot import/);
  });
});
