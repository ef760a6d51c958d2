import { parseAgentClass } from '../user-agent.js';

/**
 * When a visit is a bot's, from what the SDK sends. The figures count human visits only by default; the same
 * rules are applied by the reference code and by every backend's per-visit rollups. docs/dashboard.md § Bots
 * gives each rule with its false-positive risk.
 */

/** Why a visit is counted as a bot's (null: a human's). */
export type BotReason = 'user_agent' | 'automation' | 'behaviour';

export { BOT_USER_AGENT } from '../user-agent.js';

/** Whether a stored user agent is a bot's: a stored class (`; Linux; bot`) or an older raw string (`BOT_USER_AGENT`). */
export function botAgent(userAgent: string | null | undefined): boolean {
  return parseAgentClass(userAgent)?.device === 'bot';
}

/** Pageviews from which the behaviour rules apply at all. */
export const BOT_MIN_PAGEVIEWS = 5;
/** Pageviews at which a visit that views pages faster than one a second on average is a bot's. */
export const BOT_FAST_PAGEVIEWS = 10;

/** What the bot rules read of a visit. */
export interface BotSignals {
  /** The first event's request said it is a bot (`BOT_USER_AGENT`). */
  userAgent: boolean;
  /** An event carried the SDK's `bot` flag (`webdriver` or `headless`). */
  automation: boolean;
  pageviews: number;
  /** Time of the first and the last pageview. */
  firstView: number;
  lastView: number;
  /** `page_leave` events: the SDK measured how long each page was engaged. */
  leaves: number;
  /** Any sign of a person: an engaged millisecond, a heartbeat, a scroll milestone or an interaction. */
  engaged: boolean;
}

/**
 * The verdict: the user agent, then the SDK's automation flag, then behaviour — at least five pageviews with
 * page-leave reports and not one sign of a person (no engaged time, heartbeat, scroll or interaction), or at least
 * ten pageviews at under a second each on average.
 */
export function botReason(signals: BotSignals): BotReason | null {
  if (signals.userAgent) return 'user_agent';
  if (signals.automation) return 'automation';
  if (signals.pageviews >= BOT_MIN_PAGEVIEWS && signals.leaves > 0 && !signals.engaged) return 'behaviour';
  if (signals.pageviews >= BOT_FAST_PAGEVIEWS && signals.lastView - signals.firstView < (signals.pageviews - 1) * 1000) return 'behaviour';
  return null;
}

/** Whether an event is a sign of a person for the behaviour rule (given it is not a page mechanic). */
export function engagementSignal(type: string, props: Record<string, unknown> | undefined, interaction: boolean): boolean {
  if (interaction || type === 'heartbeat' || type === 'scroll_depth') return true;
  const ms = props?.engaged_ms;
  return (type === 'page_leave' || type === 'page_visibility') && typeof ms === 'number' && ms > 0;
}
