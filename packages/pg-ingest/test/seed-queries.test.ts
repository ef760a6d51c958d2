import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processEventsBatch } from '../src/etl.js';
import { campaigns, formFunnel, topPages } from '../src/queries.js';
import { BACKENDS, createTestDb, event, MINUTE, OTHER_SITE, store, type TestDb, utcMidnight } from './helpers.js';

// Known data for the seed's three sample queries (top pages, form funnel, UTM attribution):
//   s1 (v1): / → /products.html → /contact.html → form_submit         (newsletter/email/spring)
//   s2 (v2): /products.html → /contact.html                             (newsletter/email/spring)
//   s3 (v1): /products.html                                             (google/cpc/brand)
//   s4 (v3): /contact.html → form_submit                                 (direct)
//   s5 (v4): /                                                           (direct, 40 days ago: outside every window)
//   another site's session on /products.html, which must never show up.
describe.each(BACKENDS)("the seed's sample queries on %s", (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(kind);
    const at = utcMidnight(1) + 9 * 60 * MINUTE;
    const spring = { utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'spring' };
    const page = (session: string, visitor: string, path: string, minute: number, extra = {}) =>
      event({ session_id: session, visitor_id: visitor, path, url: `https://shop.example${path}`, ...extra }, at + minute * MINUTE);
    await store(t.db, [
      page('s1', 'v1', '/', 0, spring),
      page('s1', 'v1', '/products.html', 1),
      page('s1', 'v1', '/contact.html', 3),
      event(
        { session_id: 's1', visitor_id: 'v1', type: 'form_submit', path: '/contact.html', props: { form_id: 'contact' } },
        at + 4 * MINUTE,
      ),
      page('s2', 'v2', '/products.html', 10, spring),
      page('s2', 'v2', '/contact.html', 12),
      page('s3', 'v1', '/products.html', 60, { utm_source: 'google', utm_medium: 'cpc', utm_campaign: 'brand' }),
      page('s4', 'v3', '/contact.html', 70),
      event({ session_id: 's4', visitor_id: 'v3', type: 'form_submit', path: '/contact.html' }, at + 71 * MINUTE),
      page('s5', 'v4', '/', -40 * 24 * 60),
      page('x1', 'vx', '/products.html', 5, { site_id: OTHER_SITE.id }),
    ]);
    await processEventsBatch(t.db, 1000);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('top pages by unique visitors (last 7 days)', async () => {
    expect(await topPages(t.db, 'demo', { days: 7, limit: 10 })).toEqual(
      [
        { path: '/products.html', unique_visitors: 2, total_pageviews: 3, avg_time_on_page: 120 },
        { path: '/contact.html', unique_visitors: 3, total_pageviews: 3, avg_time_on_page: 60 },
        { path: '/', unique_visitors: 1, total_pageviews: 1, avg_time_on_page: 60 },
      ].sort((a, b) => b.unique_visitors - a.unique_visitors),
    );
  });

  it('form conversion funnel', async () => {
    expect(await formFunnel(t.db, 'demo', { interestPath: '/products.html', formPath: '/contact.html', days: 30 })).toEqual({
      total_sessions: 4,
      interest_viewers: 3,
      form_page_viewers: 3,
      form_submitters: 2,
      contact_rate: 0.75,
      form_conversion_rate: 2 / 3,
    });
    const none = await formFunnel(t.db, 'demo', { interestPath: '/products.html', formPath: '/nowhere', days: 30 });
    expect(none).toMatchObject({ form_page_viewers: 0, form_conversion_rate: null });
  });

  it('attribution by UTM campaign', async () => {
    expect(await campaigns(t.db, 'demo', { days: 30 })).toEqual([
      {
        utm_source: 'newsletter',
        utm_medium: 'email',
        utm_campaign: 'spring',
        sessions: 2,
        unique_visitors: 2,
        avg_session_duration: (240 + 120) / 2,
        avg_pages_per_session: 2.5,
        bounce_rate: 0,
      },
      {
        utm_source: 'google',
        utm_medium: 'cpc',
        utm_campaign: 'brand',
        sessions: 1,
        unique_visitors: 1,
        avg_session_duration: 0,
        avg_pages_per_session: 1,
        bounce_rate: 1,
      },
    ]);
  });
});
