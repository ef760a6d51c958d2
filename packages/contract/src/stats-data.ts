import { randomUUID } from 'node:crypto';
import type { StatsEvent, TrailmarkEvent } from '@trailmark/protocol';
import { SITE } from './backends.js';

/** One visit of the stats data set: its events, sent in one batch with this User-Agent header. */
export interface DataVisit {
  userAgent: string;
  events: TrailmarkEvent[];
}

export const USER_AGENTS = {
  chromeWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  firefoxLinux: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  safariIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  edgeMac:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
  chromeAndroid: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
} as const;

interface Step {
  type: string;
  path?: string;
  props?: TrailmarkEvent['props'];
  /** Seconds after the previous step. */
  after: number;
}

interface Plan {
  visitor: string;
  /** Hours before `now` the visit starts. */
  hoursAgo: number;
  ua: keyof typeof USER_AGENTS;
  timezone?: string;
  screen?: number;
  referrer?: string;
  utm?: { utm_source: string; utm_medium: string; utm_campaign: string };
  /** Sequence numbers skip two after the first event (events lost in transit). */
  gap?: boolean;
  /** The SDK reports automation (`navigator.webdriver`). */
  automation?: boolean;
  steps: Step[];
}

const pv = (path: string, after = 30): Step => ({ type: 'pageview', path, after });
const ev = (type: string, props: TrailmarkEvent['props'] = {}, after = 10): Step => ({ type, props, after });
const vital = (name: string, value: number, id: string): Step => ({
  type: 'web_vital',
  props: { name, value, id, rating: 'good' },
  after: 2,
});
const spring = { utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'spring' };

// Visits over six days: bounces and engaged visits, four countries and an unknown zone, phones and desktops,
// search, social, referral, campaign and direct traffic, goals, a funnel, web vitals with a repeated metric id,
// and one visit still going (live).
const PLANS: Plan[] = [
  {
    visitor: 'v1',
    hoursAgo: 140,
    ua: 'chromeWindows',
    timezone: 'Europe/Berlin',
    screen: 1920,
    referrer: 'https://www.google.com/',
    steps: [
      pv('/', 0),
      ev('scroll_depth', { milestone: 50 }),
      ev('scroll_depth', { milestone: 75 }, 0),
      pv('/pricing.html', 40),
      ev('click', { tag: 'a', href: 'https://docs.other.example/guide', outbound: true }),
      ev('click', { tag: 'a', href: 'https://app.example/files/price-list.pdf', download: true }, 0),
      ev('signup', { plan: 'pro', revenue: { amount: 49, currency: 'EUR' } }, 20),
    ],
  },
  {
    visitor: 'v2',
    hoursAgo: 120,
    ua: 'firefoxLinux',
    timezone: 'America/New_York',
    screen: 1366,
    steps: [pv('/docs.html', 0), ev('heartbeat', { engaged_ms: 15000 }, 15)],
  },
  {
    visitor: 'v3',
    hoursAgo: 100,
    ua: 'safariIphone',
    timezone: 'Asia/Calcutta',
    screen: 390,
    referrer: 'https://news.ycombinator.com/item?id=1',
    steps: [
      pv('/', 0),
      vital('LCP', 2100, 'v5-a'),
      vital('CLS', 0.05, 'v5-b'),
      ev('scroll_depth', { max_depth: 100 }, 0),
      pv('/pricing.html', 65),
      ev('scroll_depth', { milestone: 25 }, 0),
      ev('page_leave', { duration_ms: 50000, engaged_ms: 42000 }, 0),
      pv('/contact.html', 50),
      ev('form_submit', { id: 'contact' }, 30),
    ],
  },
  {
    visitor: 'v1',
    hoursAgo: 80,
    ua: 'chromeWindows',
    timezone: 'Europe/Berlin',
    screen: 1920,
    utm: spring,
    steps: [
      pv('/pricing.html', 0),
      ev('page_leave', { duration_ms: 2000, engaged_ms: 1500 }, 0),
      vital('LCP', 3100, 'v5-c'),
      vital('INP', 180, 'v5-d'),
      vital('INP', 240, 'v5-d'),
      ev('signup', { plan: 'team', revenue: { amount: 19.5, currency: 'USD' } }, 90),
    ],
  },
  {
    visitor: 'v4',
    hoursAgo: 60,
    ua: 'edgeMac',
    timezone: 'Europe/London',
    screen: 1440,
    referrer: 'https://blog.example.org/post',
    steps: [pv('/', 0), ev('page_leave', { duration_ms: 4000 }, 4)],
  },
  {
    visitor: 'v5',
    hoursAgo: 45,
    ua: 'chromeAndroid',
    screen: 412,
    utm: spring,
    // Two events of this visit never arrived (its sequence numbers jump), and the SDK reported dropping three.
    gap: true,
    steps: [
      pv('/', 0),
      ev('sdk_dropped', { queue_full: 3 }, 0),
      pv('/docs.html', 25),
      ev('text_copy', { length: 12 }),
      ev('download', { file: 'guide.pdf' }, 5),
      pv('/pricing.html', 70),
    ],
  },
  {
    visitor: 'v2',
    hoursAgo: 30,
    ua: 'firefoxLinux',
    timezone: 'America/New_York',
    screen: 1366,
    referrer: 'https://www.bing.com/',
    steps: [pv('/pricing.html', 0), vital('LCP', 1800, 'v5-e'), pv('/', 33)],
  },
  {
    visitor: 'v6',
    hoursAgo: 20,
    ua: 'safariIphone',
    timezone: 'Europe/Berlin',
    screen: 390,
    steps: [pv('/', 0), vital('CLS', 0.31, 'v5-f')],
  },
  {
    visitor: 'v7',
    hoursAgo: 8,
    ua: 'chromeWindows',
    timezone: 'Asia/Kolkata',
    screen: 2560,
    referrer: 'https://www.google.co.in/',
    steps: [
      pv('/', 0),
      pv('/pricing.html', 12),
      ev('signup', { plan: 'pro', revenue: { amount: 49, currency: 'EUR' } }, 44),
      ev('signup', { plan: 7 }, 300),
    ],
  },
  {
    visitor: 'v8',
    hoursAgo: 3,
    ua: 'edgeMac',
    timezone: 'UTC',
    screen: 1280,
    referrer: 'https://t.co/abc',
    steps: [pv('/contact.html', 0)],
  },
  // Still on the site: its last event is a minute ago, so it counts as live.
  {
    visitor: 'v9',
    hoursAgo: 0.05,
    ua: 'firefoxLinux',
    timezone: 'Europe/London',
    screen: 1024,
    steps: [pv('/', 0), ev('click', { tag: 'button' }, 60), ev('heartbeat', { engaged_ms: 20000 }, 60)],
  },
];

// Bot traffic: a crawler that says so, a browser driven by automation (the SDK's flag), and one that reads twelve
// pages in six seconds. None of them counts by default.
const BOT_PLANS: Plan[] = [
  { visitor: 'b1', hoursAgo: 50, ua: 'googlebot', steps: [pv('/', 0), pv('/pricing.html', 1), pv('/docs.html', 1)] },
  {
    visitor: 'b2',
    hoursAgo: 26,
    ua: 'chromeWindows',
    timezone: 'Europe/Berlin',
    screen: 1920,
    automation: true,
    steps: [pv('/', 0), ev('signup', {}, 5)],
  },
  {
    visitor: 'b3',
    hoursAgo: 12,
    ua: 'firefoxLinux',
    timezone: 'UTC',
    screen: 1366,
    steps: Array.from({ length: 12 }, (_, i) => pv(['/', '/pricing.html', '/docs.html', '/contact.html'][i % 4] as string, i ? 0.5 : 0)),
  },
];

/** The stats data set, relative to `now` (every event within the protocol's seven days, none in the future). */
export function statsDataSet(now = Date.now()): DataVisit[] {
  return visitsOf(PLANS, now);
}

/** The bot visits beside the data set (bots view), relative to `now`. */
export function botDataSet(now = Date.now()): DataVisit[] {
  return visitsOf(BOT_PLANS, now, 'bot');
}

function visitsOf(plans: readonly Plan[], now: number, prefix = 'stats'): DataVisit[] {
  return plans.map((plan, index) => {
    const session = `${prefix}-s${index + 1}-${randomUUID().slice(0, 8)}`;
    let ts = Math.round(now - plan.hoursAgo * 3_600_000);
    const events = plan.steps.map((step, i): TrailmarkEvent => {
      ts += Math.round(step.after * 1000);
      const path = step.path ?? [...plan.steps.slice(0, i + 1)].reverse().find((s) => s.path)?.path ?? '/';
      const landing = i === 0;
      const query = landing && plan.utm ? `?${new URLSearchParams(plan.utm)}` : '';
      return {
        event_id: randomUUID(),
        type: step.type,
        ts,
        site_id: SITE.id,
        visitor_id: plan.visitor,
        session_id: session,
        seq: i + 1 + (plan.gap && i > 0 ? 2 : 0),
        ...(landing ? { split_reason: 'new' as const } : {}),
        url: `${SITE.origin}${path}${query}`,
        path,
        ...(landing && plan.referrer ? { referrer: plan.referrer } : {}),
        ...(plan.utm ?? {}),
        ...(plan.timezone ? { timezone: plan.timezone } : {}),
        ...(plan.screen ? { screen_w: plan.screen, screen_h: Math.round(plan.screen * 0.6) } : {}),
        language: 'en-GB',
        ...(plan.automation ? { bot: 'webdriver' as const } : {}),
        ...(step.props ? { props: step.props } : {}),
      };
    });
    return { userAgent: USER_AGENTS[plan.ua], events };
  });
}

/** The data set as the stats code reads it back (what each backend stored: server time, the request's agent). */
export function storedStatsEvents(visits: readonly DataVisit[]): StatsEvent[] {
  return visits.flatMap((visit) => visit.events.map((event) => ({ ...event, user_agent: visit.userAgent })));
}

/** Sends each visit as one batch to a backend's batch endpoint, with its User-Agent; throws unless all are stored. */
export async function sendDataSet(
  endpoint: string,
  batchPath: string,
  visits: readonly DataVisit[],
  origin = SITE.origin,
  writeKey = SITE.writeKey,
): Promise<void> {
  for (const visit of visits) {
    const response = await fetch(`${endpoint}${batchPath}?key=${writeKey}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': visit.userAgent, origin },
      body: JSON.stringify({ v: 1, events: visit.events }),
    });
    const answer = (await response.json()) as { accepted?: string[] };
    if (!response.ok || answer.accepted?.length !== visit.events.length) {
      throw new Error(`the backend stored ${answer.accepted?.length ?? 0} of ${visit.events.length}: ${JSON.stringify(answer)}`);
    }
  }
}
