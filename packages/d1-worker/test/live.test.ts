import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { batchInit, event, eventually, OTHER, pingInit, SITE, secret, startTestWorker, type TestWorker } from './helpers.js';

let worker: TestWorker;
beforeAll(async () => {
  // A short timeout so the sweep is observable within the test.
  worker = await startTestWorker({ LIVE_TIMEOUT_SECONDS: '2' });
});
afterAll(async () => {
  await worker?.mf.dispose();
});

interface Message {
  type: string;
  visitor_id?: string;
  visitor?: { visitor_id: string; path: string | null; company: string };
  visitors?: { visitor_id: string }[];
  reason?: string;
}

/** A dashboard connected over a real WebSocket, collecting what it is sent. */
async function dashboard(options: { headers?: Record<string, string>; protocols?: string[] } = {}) {
  const url = `${worker.url.href.replace(/^http/, 'ws')}api/live`;
  const socket = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? secret() });
  const messages: Message[] = [];
  const waiters: (() => void)[] = [];
  socket.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as Message);
    for (const wake of waiters.splice(0)) wake();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    messages,
    /** The first message (from `from` on) matching `match`, waiting up to `timeoutMs`. */
    async next(match: (m: Message) => boolean, timeoutMs = 5000): Promise<Message> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find(match);
        if (found) return found;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching message; got ${JSON.stringify(messages)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, left);
        });
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.close(1000);
      }),
  };
}

describe('live visitors over WebSocket', () => {
  it('sends a snapshot, then joins, page changes and a leave on page hide', async () => {
    const live = await dashboard();
    const snapshot = await live.next((m) => m.type === 'snapshot');
    expect(snapshot.visitors).toEqual([]);

    await worker.call('/track/batch', batchInit([event({ visitor_id: 'live-1', path: '/', url: 'https://acme.example/' })]));
    const join = await live.next((m) => m.type === 'join');
    expect(join.visitor).toMatchObject({ visitor_id: 'live-1', path: '/', company: 'Example Networks (sample)' });

    await worker.call('/track/batch', batchInit([event({ visitor_id: 'live-1', path: '/pricing', url: 'https://acme.example/pricing' })]));
    const page = await live.next((m) => m.type === 'page');
    expect(page.visitor).toMatchObject({ visitor_id: 'live-1', path: '/pricing' });

    await worker.call('/track/batch', batchInit([event({ visitor_id: 'live-1', type: 'page_visibility', props: { state: 'hidden' } })]));
    const leave = await live.next((m) => m.type === 'leave');
    expect(leave).toEqual({ type: 'leave', visitor_id: 'live-1', reason: 'hidden' });
    await live.close();
  });

  it('does not announce a resent event again, nor visitors of another site', async () => {
    const live = await dashboard();
    await live.next((m) => m.type === 'snapshot');
    const e = event({ visitor_id: 'live-dup' });
    await worker.call(
      '/track/batch',
      batchInit([event({ visitor_id: 'live-foreign', site_id: OTHER.site })], { 'x-trailmark-key': OTHER.writeKey }),
    );
    await worker.call('/track/batch', batchInit([e]));
    await live.next((m) => m.type === 'join' && m.visitor?.visitor_id === 'live-dup');
    await worker.call('/track/batch', batchInit([e]));
    await worker.call('/track/batch', batchInit([event({ visitor_id: 'live-marker', type: 'page_leave' })]));
    // A page_leave of an unknown visitor announces nothing; send a join as a marker that all earlier posts were applied.
    await worker.call('/track/batch', batchInit([event({ visitor_id: 'live-marker-2' })]));
    await live.next((m) => m.type === 'join' && m.visitor?.visitor_id === 'live-marker-2');
    expect(live.messages.filter((m) => m.visitor?.visitor_id === 'live-dup')).toHaveLength(1);
    expect(live.messages.some((m) => m.visitor?.visitor_id === 'live-foreign' || m.visitor_id === 'live-marker')).toBe(false);
    await live.close();
  });

  it('removes a silent visitor after the timeout', async () => {
    const live = await dashboard();
    await worker.call('/track/visitor', pingInit('live-quiet', 'https://acme.example/docs'));
    const join = await live.next((m) => m.type === 'join' && m.visitor?.visitor_id === 'live-quiet');
    expect(join.visitor?.path).toBe('/docs');
    const leave = await live.next((m) => m.type === 'leave' && m.visitor_id === 'live-quiet', 8000);
    expect(leave.reason).toBe('timeout');
    await live.close();
  });

  it('does not make a visitor live, nor announce a join, for events that arrive a day late', async () => {
    const live = await dashboard();
    await live.next((m) => m.type === 'snapshot');
    const day = 26 * 3_600_000;
    const late = event({ visitor_id: 'live-offline', ts: Date.now() - day });
    await worker.call('/track/batch', { ...batchInit([late]), body: JSON.stringify({ sent_at: Date.now(), events: [late] }) });
    await worker.call('/track/batch', batchInit([event({ visitor_id: 'live-now' })]));
    await live.next((m) => m.type === 'join' && m.visitor?.visitor_id === 'live-now');
    expect(live.messages.filter((m) => m.visitor?.visitor_id === 'live-offline' || m.visitor_id === 'live-offline')).toEqual([]);
    const snapshot = await worker.call('/api/live', { headers: secret() });
    expect(snapshot.body.visitors.map((v: { visitor_id: string }) => v.visitor_id)).not.toContain('live-offline');
    await live.close();
  });

  it('keeps the list for a dashboard connecting later, and over the bearer subprotocol browsers use', async () => {
    await worker.call('/track/batch', batchInit([event({ visitor_id: 'live-late' })]));
    // Live updates leave the Worker in short windows (200 ms): wait until the object has it.
    const plain = await eventually(async () => {
      const res = await worker.call('/api/live', { headers: secret() });
      return res.body.visitors.some((v: { visitor_id: string }) => v.visitor_id === 'live-late') ? res : undefined;
    });
    expect(plain.status).toBe(200);
    const live = await dashboard({ headers: {}, protocols: ['trailmark', `bearer.${SITE.secretKey}`] });
    expect(live.socket.protocol).toBe('trailmark');
    const snapshot = await live.next((m) => m.type === 'snapshot');
    expect(snapshot.visitors?.map((v) => v.visitor_id)).toContain('live-late');
    await live.close();
  });

  it('refuses a write key and a missing key before upgrading', async () => {
    const refused = (headers: Record<string, string>) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const socket = new WebSocket(`${worker.url.href.replace(/^http/, 'ws')}api/live`, { headers });
        socket.once('open', () => reject(new Error('the socket opened')));
        socket.once('unexpected-response', (_request, response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => {
            body += String(chunk);
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        });
      });
    const write = await refused({ authorization: `Bearer ${SITE.writeKey}` });
    expect(write.status).toBe(403);
    expect(JSON.parse(write.body).code).toBe('forbidden');
    const none = await refused({});
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).code).toBe('unauthorized');
  });
});
