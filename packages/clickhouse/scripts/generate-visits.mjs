// Deterministic visits in the SDK's wire format, for the cluster test and the bench: `count` events spread over
// `days` before `now`, in visits of 1 to 8 events (pageviews, scrolls, clicks on links and downloads, web vitals,
// heartbeats, a custom `signup` by plan, some with revenue), each visit with one of four user agents. Plain
// JavaScript, so the bench imports it without a build.

const TYPES = ['pageview', 'scroll_depth', 'click', 'pageview', 'web_vital', 'heartbeat', 'signup', 'pageview'];
const ZONES = [
  'Europe/Berlin',
  'America/New_York',
  'Asia/Kolkata',
  'Europe/London',
  'Australia/Sydney',
  'America/Sao_Paulo',
  'Asia/Tokyo',
  undefined,
];
const REFERRERS = [undefined, 'https://www.google.com/', 'https://news.ycombinator.com/', 'https://blog.example.org/a', undefined];
const SCREENS = [390, 820, 1366, 1920, 2560];
/** The four user agents visits are sent with (Chrome on Windows, Firefox on Linux, Safari on iPhone, Edge on macOS). */
export const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
];

/** A UUID (v4 layout) from two integers: the same inputs give the same id. */
function uuidOf(a, b) {
  const hex = (n, width) => (n >>> 0).toString(16).padStart(width, '0').slice(-width);
  const x = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  return `${hex(a, 8)}-${hex(b, 4)}-4${hex(x, 3)}-8${hex(x >>> 12, 3)}-${hex(Math.imul(x, 31) ^ b, 8)}${hex(a ^ 0x5bd1, 4)}`;
}

/**
 * Visits of about `count` events in all (whole visits), ending before `now - 60 s`. `seed` tells data sets apart
 * (their ids and visit ids differ). Returns `[{ userAgent, events }]`.
 */
export function generateVisits({ count, now = Date.now(), days = 7, seed = 1, site = 'bench' }) {
  const visits = [];
  const sessions = Math.max(1, Math.round((count * 13) / 51));
  const visitors = Math.max(1, Math.round(sessions / 2));
  const span = days * 86_400_000 - 10 * 60_000;
  const start = now - days * 86_400_000;
  let total = 0;
  for (let s = 0; total < count; s++) {
    const length = Math.min(1 + (((s * 7919) % 13) % 8), count - total);
    const at = start + Math.floor(((s % sessions) * span) / sessions) + Math.floor(s / sessions) * 1000;
    const session = `s${seed}-${s}`;
    const visitor = `v${seed}-${(s * 7) % visitors}`;
    const events = [];
    for (let i = 0; i < length; i++) {
      const type = TYPES[i];
      const path = `/p/${(s + i * 3) % 50}`;
      const tagged = s % 9 === 0;
      const event = {
        event_id: uuidOf(seed * 1_000_003 + s, i),
        type,
        ts: at + i * 25_000,
        site_id: site,
        visitor_id: visitor,
        session_id: session,
        seq: i + 1,
        url: `https://shop.example${path}${i === 0 && tagged ? `?utm_source=newsletter&utm_medium=email&utm_campaign=c${s % 4}` : ''}`,
        path,
        title: `Page ${path}`,
        language: 'en',
        screen_w: SCREENS[s % 5],
      };
      const referrer = i === 0 ? REFERRERS[s % 5] : undefined;
      if (referrer) event.referrer = referrer;
      if (tagged) Object.assign(event, { utm_source: 'newsletter', utm_medium: 'email', utm_campaign: `c${s % 4}` });
      const zone = ZONES[s % 8];
      if (zone) event.timezone = zone;
      if (type === 'web_vital')
        event.props = { name: ['LCP', 'CLS', 'INP'][s % 3], value: s % 3 === 1 ? (s % 40) / 100 : 100 + ((s * 37) % 4000), id: `v5-${s}` };
      // Clicks on outbound links, downloads and other links; signups by plan, half with revenue; scrolls to a quarter.
      if (type === 'click') {
        event.props = [
          { tag: 'a', href: `https://other${s % 20}.example/guide`, outbound: true },
          { tag: 'a', href: `https://shop.example/files/list-${s % 10}.pdf`, download: true },
          { tag: 'a' },
        ][s % 3];
      }
      if (type === 'signup') {
        event.props = {
          plan: ['pro', 'team', 'free'][s % 3],
          ...(s % 2 ? { revenue: { amount: 19.5, currency: s % 4 === 1 ? 'EUR' : 'USD' } } : {}),
        };
      }
      if (type === 'scroll_depth') event.props = { milestone: [25, 50, 75, 100][s % 4] };
      events.push(event);
    }
    total += events.length;
    visits.push({ userAgent: USER_AGENTS[s % 4], events });
  }
  return visits;
}

/** Requests of whole visits of one user agent each, up to `perRequest` events: `[{ userAgent, events }]`. */
export function requestsOf(visits, perRequest = 100) {
  const open = new Map();
  const requests = [];
  for (const visit of visits) {
    let request = open.get(visit.userAgent);
    if (!request || request.events.length + visit.events.length > perRequest) {
      request = { userAgent: visit.userAgent, events: [] };
      open.set(visit.userAgent, request);
      requests.push(request);
    }
    request.events.push(...visit.events);
  }
  return requests;
}
