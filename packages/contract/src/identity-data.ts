import { randomUUID } from 'node:crypto';
import { redactEvent, type StatsEvent, type TrailmarkEvent } from '@trailmark/protocol';
import { OTHER } from './backends.js';
import { type DataVisit, USER_AGENTS } from './stats-data.js';

/**
 * The identity-stitching data set (issue 24), on the second site so the main data set's figures stay as they are.
 * One person on two devices: laptop `a1` browses anonymously two days ago, comes back, logs in midway (its later
 * events carry `user_id` u-1001) and signs up; phone `b1` is logged in as u-1001 from its first event, and later
 * as u-2002 (a shared phone without logout: the first identification stands). Two more visitors send e-mail
 * addresses as user ids, which the redaction removes: they identify no one, so they stay two people, not one.
 */
interface Hit {
  type: string;
  path: string;
  /** Seconds after the previous hit. */
  after: number;
  user?: string;
  props?: TrailmarkEvent['props'];
}

const visit = (now: number, visitor: string, hoursAgo: number, ua: keyof typeof USER_AGENTS, hits: Hit[]): DataVisit => {
  const session = `identity-${visitor}-${hoursAgo}-${randomUUID().slice(0, 8)}`;
  let ts = Math.round(now - hoursAgo * 3_600_000);
  const events = hits.map((hit, i): TrailmarkEvent => {
    ts += hit.after * 1000;
    return {
      event_id: randomUUID(),
      type: hit.type,
      ts,
      site_id: OTHER.id,
      visitor_id: visitor,
      session_id: session,
      seq: i + 1,
      ...(i === 0 ? { split_reason: 'new' as const } : {}),
      url: `${OTHER.origin}${hit.path}`,
      path: hit.path,
      timezone: 'Europe/Berlin',
      language: 'de-DE',
      ...(hit.user ? { user_id: hit.user } : {}),
      ...(hit.props ? { props: hit.props } : {}),
    };
  });
  return { userAgent: USER_AGENTS[ua], events };
};

/** The visits of the identity data set, each one batch, relative to `now`. */
export function identityDataSet(now = Date.now()): DataVisit[] {
  return [
    visit(now, 'a1', 50, 'chromeWindows', [
      { type: 'pageview', path: '/', after: 0 },
      { type: 'pageview', path: '/pricing.html', after: 30 },
    ]),
    visit(now, 'a1', 10, 'chromeWindows', [
      { type: 'pageview', path: '/', after: 0 },
      { type: 'pageview', path: '/account', after: 20, user: 'u-1001' },
      { type: 'identify', path: '/account', after: 0, user: 'u-1001', props: { plan: 'pro' } },
      { type: 'signup', path: '/account', after: 40, user: 'u-1001', props: { plan: 'pro', revenue: { amount: 49, currency: 'EUR' } } },
    ]),
    visit(now, 'b1', 5, 'safariIphone', [
      { type: 'pageview', path: '/', after: 0, user: 'u-1001' },
      { type: 'js_error', path: '/', after: 5, user: 'u-1001', props: { message: 'x is undefined', line: 3 } },
      { type: 'pageview', path: '/pricing.html', after: 60, user: 'u-2002' },
    ]),
    visit(now, 'c1', 30, 'firefoxLinux', [{ type: 'pageview', path: '/', after: 0, user: 'carol@example.com' }]),
    visit(now, 'd1', 29, 'edgeMac', [{ type: 'pageview', path: '/', after: 0, user: 'dave@example.com' }]),
    // The SDK's new event types on one page each: an error and an identification are the page's and the site's
    // doing, so those visits bounce; a form started and left is the visitor's, so that one does not.
    visit(now, 'e1', 20, 'chromeAndroid', [
      { type: 'pageview', path: '/', after: 0 },
      { type: 'js_error', path: '/', after: 1, props: { message: 'boom', source: '/app.js', line: 1, column: 9 } },
    ]),
    visit(now, 'f1', 19, 'chromeWindows', [
      { type: 'pageview', path: '/account', after: 0, user: 'u-3003' },
      { type: 'identify', path: '/account', after: 0, user: 'u-3003', props: { plan: 'free' } },
    ]),
    visit(now, 'g1', 18, 'firefoxLinux', [
      { type: 'pageview', path: '/contact.html', after: 0 },
      { type: 'form_start', path: '/contact.html', after: 8, props: { form: 'contact', field: 'name' } },
      { type: 'form_abandon', path: '/contact.html', after: 30, props: { form: 'contact', last_field: 'email', fields: 2 } },
    ]),
  ];
}

/**
 * The order the batches arrive in: the phone's later identification (as u-2002) before its first one, the laptop's
 * login before its anonymous visit (and the login again, a retry, by `resend`): the identities must not depend on it.
 */
export function identityDeliveries(visits: readonly DataVisit[]): DataVisit[] {
  const [anonymous, login, phone, ...rest] = visits as [DataVisit, DataVisit, DataVisit, ...DataVisit[]];
  return [{ ...phone, events: phone.events.slice(2) }, { ...phone, events: phone.events.slice(0, 2) }, login, anonymous, ...rest];
}

/** Sends a visit's batch again (a retry after a lost answer): returns how many events the backend called duplicates. */
export async function resend(endpoint: string, batchPath: string, visit: DataVisit): Promise<number> {
  const response = await fetch(`${endpoint}${batchPath}?key=${OTHER.writeKey}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': visit.userAgent, origin: OTHER.origin },
    body: JSON.stringify({ v: 1, events: visit.events }),
  });
  const answer = (await response.json()) as { duplicates?: string[] };
  return answer.duplicates?.length ?? 0;
}

/** The data set as the backends store it: redacted at admission (the e-mail user ids removed), server time, agent. */
export function storedIdentityEvents(visits: readonly DataVisit[]): StatsEvent[] {
  return visits.flatMap((visit) => visit.events.map((event) => ({ ...redactEvent(event), user_agent: visit.userAgent })));
}
