import { afterEach, describe, expect, it } from 'vitest';
import { percentile, type RunningReceiver } from '../src/index.js';
import { makeEvent, post, read, start } from './helpers.js';

let server: RunningReceiver | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Reads SSE messages from a fetch stream until `count` `events` messages arrived. */
async function collect(response: Response, count: number): Promise<unknown[][]> {
  const reader = (response.body as ReadableStream<Uint8Array>)
    .pipeThrough(new TextDecoderStream() as unknown as ReadableWritablePair<string, Uint8Array>)
    .getReader();
  const batches: unknown[][] = [];
  let buffer = '';
  while (batches.length < count) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += value;
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (block.startsWith('event: events\n')) batches.push(JSON.parse(block.slice(block.indexOf('data: ') + 6)) as unknown[]);
    }
  }
  await reader.cancel();
  return batches;
}

describe('live page', () => {
  it('serves the page and its script under a strict CSP, with no inline script or style', async () => {
    server = await start();
    const page = await fetch(`${server.url}/`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('<script src="/live.js" defer></script>');
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|<style/);
    expect(html).not.toMatch(/sk_demo|pk_demo/);
    const script = await fetch(`${server.url}/live.js`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await script.text()).toContain('/api/live/stream');
    expect((await fetch(`${server.url}/live.css`)).status).toBe(200);
  });

  it('streams newly stored events of the site to a live connection, once', async () => {
    server = await start();
    const stream = await fetch(`${server.url}/api/live/stream`);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const received = collect(stream, 2);
    const first = makeEvent();
    const second = makeEvent({ type: 'click' });
    await post(server.url, '/v1/batch', { events: [first] });
    await post(server.url, '/v1/batch', { events: [first, makeEvent({ site_id: 'other' })] }, { key: 'pk_other' });
    await post(server.url, '/v1/batch', { events: [first, second] });
    expect(await received).toEqual([[first], [second]]);
  });

  it('summarises counts, pageviews per hour, top pages, referrers and web-vitals p75', async () => {
    server = await start();
    const vitals = [100, 200, 300, 400, 2500].map((value) => makeEvent({ type: 'web_vital', props: { name: 'LCP', value } }));
    await post(server.url, '/v1/batch', {
      events: [
        makeEvent({ path: '/', referrer: 'https://www.google.com/search?q=x' }),
        makeEvent({ path: '/pricing', referrer: 'http://127.0.0.1:8080/' }),
        makeEvent({ path: '/pricing', referrer: 'https://news.ycombinator.com/' }),
        ...vitals,
      ],
    });
    const summary = (await (await fetch(`${server.url}/api/live/summary?hours=24`)).json()) as Record<string, unknown> & {
      pageviews_per_hour: Array<{ count: number }>;
      recent_events: Array<{ type: string; ts: number }>;
    };
    // The feed starts with the newest events, newest first.
    expect(summary.recent_events).toHaveLength(8);
    expect(summary.recent_events.map((event) => event.ts)).toEqual(summary.recent_events.map((event) => event.ts).sort((a, b) => b - a));
    expect(summary).toMatchObject({
      ok: true,
      site_id: 'demo',
      total_events: 8,
      counts: { pageview: 3, web_vital: 5 },
      top_pages: [
        { path: '/pricing', count: 2 },
        { path: '/', count: 1 },
      ],
      top_referrers: [
        { referrer: 'news.ycombinator.com', count: 1 },
        { referrer: 'www.google.com', count: 1 },
      ],
      web_vitals: { LCP: { p75: 400, count: 5 } },
    });
    expect(summary.pageviews_per_hour).toHaveLength(24);
    expect(summary.pageviews_per_hour.at(-1)?.count).toBe(3);
  });

  it('counts sessions by source and UTM campaign, from the first pageview of each', async () => {
    server = await start();
    const spring = { utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'spring' };
    await post(server.url, '/v1/batch', {
      events: [
        // A newsletter visit without a referrer (a mail client sends none), then a second page of that session.
        makeEvent({
          session_id: 's-news',
          ts: Date.now() - 2000,
          url: 'http://127.0.0.1:8080/?utm_source=newsletter&utm_campaign=spring',
          ...spring,
        }),
        makeEvent({ session_id: 's-news', ts: Date.now() - 1000, path: '/pricing', referrer: 'http://127.0.0.1:8080/' }),
        makeEvent({ session_id: 's-news-2', ...spring }),
        makeEvent({ session_id: 's-search', referrer: 'https://www.google.com/search?q=x' }),
        makeEvent({ session_id: 's-direct' }),
      ],
    });
    const summary = (await (await fetch(`${server.url}/api/live/summary?hours=24`)).json()) as Record<string, unknown>;
    expect(summary.top_sources).toEqual([
      // utm_source=newsletter is an e-mail's link: the channel Email, not a referral (docs/dashboard.md).
      { source: 'newsletter', kind: 'email', count: 2 },
      { source: 'direct', kind: 'direct', count: 1 },
      { source: 'google', kind: 'search', count: 1 },
    ]);
    expect(summary.top_campaigns).toEqual([{ campaign: 'spring', count: 2 }]);
  });

  it('needs the read key outside dev mode, and refuses the write key', async () => {
    server = await start({ dev: false });
    expect((await fetch(`${server.url}/api/live/summary`)).status).toBe(401);
    expect((await read(server.url, '/api/live/summary', 'pk_demo')).status).toBe(403);
    expect((await read(server.url, '/api/live/stream', 'pk_demo')).status).toBe(403);
    const ok = await read(server.url, '/api/live/summary', 'sk_other');
    expect(((await ok.json()) as { site_id: string }).site_id).toBe('other');
    // The page itself is public: it holds no data and asks for the key. A client asking for no page (curl) gets
    // the route list instead, as every backend answers on GET /.
    expect((await fetch(`${server.url}/live`)).status).toBe(200);
    const index = (await (await fetch(`${server.url}/`)).json()) as { routes: Record<string, string> };
    expect(index.routes['GET /']).toContain('the live page');
  });

  it('forgets a connection the client dropped, and ends open streams promptly on close', async () => {
    const running = await start();
    const abort = new AbortController();
    const dropped = await fetch(`${running.url}/api/live/stream`, { signal: abort.signal });
    await (dropped.body as ReadableStream<Uint8Array>).getReader().read();
    abort.abort();
    const stats = async () => ((await (await fetch(`${running.url}/_trailmark/stats`)).json()) as { live_clients: number }).live_clients;
    await expect.poll(stats, { timeout: 5000 }).toBe(0);
    const open = await fetch(`${running.url}/api/live/stream`);
    const reader = (open.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const started = Date.now();
    await running.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await reader.read()).done).toBe(true);
  });

  it('computes p75 by nearest rank', () => {
    expect(percentile([], 0.75)).toBe(0);
    expect(percentile([5], 0.75)).toBe(5);
    expect(percentile([4, 1, 3, 2], 0.75)).toBe(3);
  });
});
