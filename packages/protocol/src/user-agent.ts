/**
 * The raw user-agent string is never stored: at admission it becomes its class, the browser, the OS and the device
 * class (`bot` judged here, before the string is dropped), written `Chrome; Windows; desktop` in the column that
 * held the raw string (an unknown browser or OS is empty: `; Linux; bot`).
 */
export interface AgentClass {
  browser: string | null;
  os: string | null;
  device: 'desktop' | 'mobile' | 'tablet' | 'bot';
}

/** Browser by the first user-agent substring found (order matters: Edge and Opera also say Chrome). */
export const BROWSER_RULES: ReadonlyArray<readonly [needle: string, browser: string]> = [
  ['Edg/', 'Edge'],
  ['OPR/', 'Opera'],
  ['SamsungBrowser/', 'Samsung Internet'],
  ['Firefox/', 'Firefox'],
  ['FxiOS/', 'Firefox'],
  ['CriOS/', 'Chrome'],
  ['Chromium/', 'Chromium'],
  ['Chrome/', 'Chrome'],
  ['Safari/', 'Safari'],
];

/** Operating system by the first user-agent substring found. */
export const OS_RULES: ReadonlyArray<readonly [needle: string, os: string]> = [
  ['Windows', 'Windows'],
  ['Android', 'Android'],
  ['iPhone', 'iOS'],
  ['iPad', 'iOS'],
  ['CrOS', 'Chrome OS'],
  ['Mac OS X', 'macOS'],
  ['Linux', 'Linux'],
];

/**
 * User agents that say they are a crawler, a preview fetcher, a monitor, a command-line client or an automated
 * (headless) browser: device `bot` in a stored class.
 */
export const BOT_USER_AGENT =
  /bot\b|bot\/|crawl|spider|slurp|headless|lighthouse|pagespeed|pingdom|uptime|phantomjs|curl\/|wget\/|python|java\/|go-http|node-fetch|axios|okhttp|httpclient|scrapy|preview|monitor|playwright|puppeteer|selenium/i;
const TABLET = /iPad|Tablet|PlayBook|Silk|Android(?!.*Mobile)/;
const MOBILE = /Mobi|iPhone|iPod|Android|Windows Phone/;

const firstOf = (rules: ReadonlyArray<readonly [string, string]>, userAgent: string) =>
  rules.find(([needle]) => userAgent.includes(needle))?.[1] ?? null;

/** A stored class as written by `agentClass`. */
const STORED = /^([^;()/]*); ([^;()/]*); (desktop|mobile|tablet|bot)$/;

/** The class of a raw user agent (or of one already stored as a class), or null when there is none. */
export function parseAgentClass(userAgent: string | null | undefined): AgentClass | null {
  if (!userAgent) return null;
  const stored = STORED.exec(userAgent);
  if (stored) return { browser: stored[1] || null, os: stored[2] || null, device: stored[3] as AgentClass['device'] };
  const device = BOT_USER_AGENT.test(userAgent) ? 'bot' : TABLET.test(userAgent) ? 'tablet' : MOBILE.test(userAgent) ? 'mobile' : 'desktop';
  return { browser: firstOf(BROWSER_RULES, userAgent), os: firstOf(OS_RULES, userAgent), device };
}

/** What a backend stores for a request's user agent: its class as text (`Chrome; Windows; desktop`), or null. */
export function agentClass(userAgent: string | null | undefined): string | null {
  const parsed = parseAgentClass(userAgent);
  return parsed && `${parsed.browser ?? ''}; ${parsed.os ?? ''}; ${parsed.device}`;
}
