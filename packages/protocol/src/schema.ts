import * as v from 'valibot';
import { EVENT_TYPE_PATTERN, MAX_ID_LENGTH, MAX_SHORT_STRING, MAX_TITLE_LENGTH, MAX_URL_LENGTH } from './limits.js';
import { propsProblem } from './props.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

const id = v.pipe(
  v.string(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`),
);
const short = v.optional(v.pipe(v.string(), v.maxLength(MAX_SHORT_STRING, `must be at most ${MAX_SHORT_STRING} characters`)));
const url = v.pipe(v.string(), v.maxLength(MAX_URL_LENGTH, `must be at most ${MAX_URL_LENGTH} characters`));
const dimension = v.optional(v.pipe(v.number(), v.integer('must be an integer'), v.minValue(0), v.maxValue(100_000)));

/** Runtime schema of one event (unknown fields are dropped, never stored). */
export const eventSchema = v.object({
  event_id: v.pipe(v.string(), v.regex(UUID, 'must be a UUID')),
  type: v.pipe(v.string(), v.regex(EVENT_TYPE_PATTERN, 'must be a letter followed by at most 63 letters, digits or _ . : -')),
  ts: v.pipe(v.number(), v.integer('must be an integer (ms since the epoch)'), v.minValue(0)),
  site_id: id,
  visitor_id: id,
  session_id: id,
  seq: v.pipe(v.number(), v.integer('must be an integer'), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER)),
  split_reason: v.optional(v.picklist(['new', 'idle', 'midnight', 'campaign', 'referrer'])),
  user_id: v.optional(id),
  url,
  path: url,
  title: v.optional(v.pipe(v.string(), v.maxLength(MAX_TITLE_LENGTH, `must be at most ${MAX_TITLE_LENGTH} characters`))),
  referrer: v.optional(url),
  utm_source: short,
  utm_medium: short,
  utm_campaign: short,
  utm_content: short,
  utm_term: short,
  language: short,
  timezone: short,
  screen_w: dimension,
  screen_h: dimension,
  viewport_w: dimension,
  viewport_h: dimension,
  dpr: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(20))),
  bot: v.optional(v.picklist(['webdriver', 'headless'])),
  props: v.optional(
    v.pipe(
      v.unknown(),
      v.check(
        (value) => propsProblem(value) === undefined,
        (issue) => propsProblem(issue.input) ?? 'invalid props',
      ),
    ),
  ),
});

/** Runtime schema of the batch envelope; `events` is checked one by one by `parseBatch()`. */
export const envelopeSchema = v.object({
  v: v.optional(v.literal(1, 'protocol version must be 1')),
  sdk: short,
  sent_at: v.optional(v.pipe(v.number(), v.integer('must be an integer (ms since the epoch)'), v.minValue(0))),
  events: v.array(v.unknown(), 'events must be an array'),
});

/** One line per issue: `field: message`. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues
    .map((issue) => {
      const path = issue.path?.map((item) => String(item.key)).join('.') ?? '';
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}
