import { randomUUID } from 'node:crypto';
import type { TrailmarkEvent } from '@trailmark/protocol';
import type { Payload } from 'trailmark';
import { SITE } from './backends.js';

/** Type-specific props, as the SDK's capture plugins send them. */
export const PROPS_BY_TYPE: Record<string, TrailmarkEvent['props']> = {
  pageview: { navigation: 'push' },
  page_leave: { duration_ms: 5300, engaged_ms: 4100 },
  click: { tag: 'a', id: 'buy', classes: 'btn primary', text: 'Buy now', href: 'https://app.example/checkout' },
  scroll_depth: { milestone: 75, max_depth: 80 },
  form_submit: { id: 'signup', method: 'post', action: '/signup', fields: 3, filled: ['plan', 'seats'], values: { plan: 'pro' } },
  page_visibility: { state: 'hidden', engaged_ms: 1200 },
  heartbeat: { engaged_ms: 15000 },
  text_copy: { length: 42, tag: 'p' },
  web_vital: { name: 'LCP', value: 1234.5, rating: 'good', id: 'v5-1' },
  sdk_dropped: { queue_full: 2, rejected: 1 },
  booking_created: { plan: 'pro', seats: 3, trial: false, tags: ['a', 'b'], nested: { level: { deep: 'yes' } } },
};

/** A complete event: every optional field of the protocol filled, none that a server would redact. */
export function fullEvent(type: string, sessionId: string, seq: number, ts = Date.now() - 2000): TrailmarkEvent {
  const props = PROPS_BY_TYPE[type];
  return {
    event_id: randomUUID(),
    type,
    ts,
    site_id: SITE.id,
    visitor_id: `visitor-${sessionId}`,
    session_id: sessionId,
    seq,
    ...(seq === 0 ? { split_reason: 'new' as const } : {}),
    user_id: 'user-42',
    url: 'https://app.example/pricing?utm_source=news&utm_medium=email&utm_campaign=launch',
    path: '/pricing',
    title: 'Pricing – Trailmark',
    referrer: 'https://www.google.com/',
    utm_source: 'news',
    utm_medium: 'email',
    utm_campaign: 'launch',
    utm_content: 'hero',
    utm_term: 'analytics',
    language: 'en-NZ',
    timezone: 'Pacific/Auckland',
    screen_w: 1920,
    screen_h: 1080,
    viewport_w: 1280,
    viewport_h: 720,
    dpr: 2,
    bot: 'headless',
    ...(props ? { props } : {}),
  };
}

/** A minimal valid event. */
export function event(fields: Partial<TrailmarkEvent> = {}): TrailmarkEvent {
  return {
    event_id: randomUUID(),
    type: 'pageview',
    ts: Date.now() - 1000,
    site_id: SITE.id,
    visitor_id: 'visitor-1',
    session_id: 'session-1',
    seq: 1,
    url: 'https://app.example/',
    path: '/',
    ...fields,
  };
}

/** The payload the SDK hands a transport, built the way the SDK builds it (envelope around the events' JSON). */
export function payload(events: readonly unknown[], sentAt = Date.now()): Payload {
  const body = JSON.stringify({ v: 1, sdk: 'trailmark/contract', sent_at: sentAt, events });
  return { body, bytes: Buffer.byteLength(body), count: events.length, events: () => JSON.parse(body).events };
}
