import {
  type Attribution,
  type DeviceContext,
  MAX_EVENT_BYTES,
  MAX_TITLE_LENGTH,
  MAX_URL_LENGTH,
  type PageContext,
  type Props,
  parseUtm,
  propsFault,
  propsProblem,
  type SplitReason,
  type TrailmarkEvent,
  withoutUserinfo,
} from '@trailmark/protocol';
import { readDevice, timeZone } from './context.js';
import type { Identity } from './identity.js';
import type { DropReason } from './queue/queue.js';
import type { QueueEntry } from './queue/store.js';
import type { UrlRule } from './url-rules.js';
import { utf8Bytes as utf8 } from './utf8.js';

/** Options of `createSerialiser()`. */
export interface SerialiserOptions {
  _siteId: string;
  _window: Window;
  /** The visitor's ids and session: loaded from storage the first time they are needed (the tracker's `_load`). */
  _identity: () => Identity;
  /** Whether they are loaded: an event tracked before gets its ids, session and super properties when they are. */
  _loaded: () => boolean;
  /** The props an event is sent with: the super properties merged in and the revenue checked (the tracker's). */
  _props: (props: Props | undefined) => Props | undefined;
  _newId: (ts: number) => string;
  _now: () => number;
  /** The `user_id` events carry now (`identify()`). */
  _userId: () => string | undefined;
  /** `detail` says why, for the once-per-reason warning (which props limit an event broke). */
  _onDrop: (reason: DropReason, count: number, detail?: string) => void;
  _onError: (error: unknown, where: string) => void;
  /** The tracker's `pageUrl` option: rewrites page URLs, or excludes the page. */
  _pageUrl?: UrlRule | undefined;
}

/** One tracked event: its id and time fixed at `track()`, its JSON made later. */
export interface PreparedEvent {
  /** The event as an object (settling the ids of every event tracked before it) (for `onEvent` listeners; its `timezone` once resolved). */
  _event(): TrailmarkEvent;
  /** Sends `event` instead (what `beforeSend` returned): serialised as it is, its page fields clipped. */
  _replace(event: TrailmarkEvent): void;
  /** The queue entry: the event's JSON once; `undefined` (counted as a drop) when it cannot be sent. */
  _entry(): QueueEntry | undefined;
}

/**
 * Shortens the page's own text to what servers accept (a long search URL, a long title): one field over its limit
 * would otherwise get every event of the page refused. A password in a URL's userinfo (`https://user:secret@host/`)
 * never leaves the page (issue 26; the servers remove it again, with secret query values, from every URL).
 */
const clip = (event: TrailmarkEvent) => {
  event.url = withoutUserinfo(event.url).slice(0, MAX_URL_LENGTH);
  event.path = event.path.slice(0, MAX_URL_LENGTH);
  event.title &&= event.title.slice(0, MAX_TITLE_LENGTH);
  event.referrer &&= withoutUserinfo(event.referrer).slice(0, MAX_URL_LENGTH);
};

/** What the events of one page URL share, derived once per URL. */
interface Page {
  _href: string;
  /** The URL as events carry it (after `pageUrl`); empty on an excluded page. */
  _url: string;
  _path: string;
  _utm: Attribution;
  /** `source|medium|campaign`, empty without UTM parameters: a new one begins a session. */
  _campaign: string;
}

/** The page now: made again only when `location.href` changes (reading location.pathname costs as much as href). */
function pageOf(loc: Location, rule?: UrlRule): () => Page {
  let page = { _href: '' } as Page;
  return () => {
    const href = loc.href;
    if (href !== page._href) {
      const utm: Attribution = href.includes('utm_') ? parseUtm(href) : {};
      page = {
        _href: href,
        _url: rule ? (rule(href) ?? '') : href,
        _path: href.slice(loc.origin.length).split(/[?#]/)[0] || '/',
        _utm: utm,
        _campaign: utm.utm_source || utm.utm_medium || utm.utm_campaign ? `${utm.utm_source}|${utm.utm_medium}|${utm.utm_campaign}` : '',
      };
    }
    return page;
  };
}

/**
 * The URLs a plugin passes (the landing page of a web vital, the previous page as an SPA referrer) under the
 * `pageUrl` rule: `null` when it excludes the page; a previous in-app page that is excluded is named by its path.
 */
function ruled(rule: UrlRule, override: Partial<PageContext>, origin: string): Partial<PageContext> | null {
  const { url, referrer } = override;
  const own = { ...override };
  if (url) {
    const page = rule(url);
    if (!page) return null;
    own.url = page;
  }
  if (referrer?.startsWith(origin)) own.referrer = rule(referrer) ?? (referrer.split(/[?#]/)[0] as string);
  return own;
}

/** The page context of an event: the ids and first-touch campaign of `identity`, and the page of its `track()`. */
function contextOf(
  siteId: string,
  identity: Identity,
  page: Page,
  title: string,
  user: string | undefined,
  referrer: string,
  device: DeviceContext,
): TrailmarkEvent {
  const context = {
    site_id: siteId,
    visitor_id: identity._visitorId,
    session_id: identity._sessionId,
    url: page._url,
    path: page._path,
    title,
    ...device,
    // First touch: every event of a session carries the campaign the session began with (or, after a campaign
    // split, the new one), not only the events of pages whose URL has UTM parameters.
    ...identity._attribution,
  } as TrailmarkEvent;
  if (referrer) context.referrer = referrer;
  if (user) context.user_id = user;
  clip(context);
  return context;
}

/**
 * Completes an event's queue `entry`: `full` serialised as it is (what `beforeSend` returned, or an event with its own
 * page fields, clipped), or else the time zone and `props` after what `entry` holds (its own fields and the page
 * context's JSON, made once for many events). `undefined`, counted as a drop, when its props break the protocol's
 * limits or cannot be encoded (cyclic, BigInt), or it is over the size limit. One object an event: the burst path.
 */
function entryOf(entry: QueueEntry, full: TrailmarkEvent | undefined, props: Props | undefined, zoned: string, options: SerialiserOptions) {
  let reason: DropReason = 'invalid';
  let detail: string | undefined;
  try {
    // Every backend refuses props over the protocol's limits: refused here instead, before a round trip.
    detail = props && (__DEBUG_BUILD__ ? propsProblem : propsFault)(props);
    if (detail) throw Error(detail);
    if (full) {
      clip(full);
      entry.body = JSON.stringify(full);
      entry.bytes = utf8(entry.body);
    } else {
      const tail = zoned + (props ? `,"props":${JSON.stringify(props)}}` : '}');
      entry.body += tail;
      entry.bytes += utf8(tail);
    }
    if (entry.bytes > MAX_EVENT_BYTES) {
      reason = 'too_large';
      throw Error(__DEBUG_BUILD__ ? `an event of ${entry.bytes} bytes is over the ${MAX_EVENT_BYTES}-byte limit` : 'size');
    }
    return entry;
  } catch (error) {
    options._onDrop(reason, 1, detail);
    options._onError(error, 'track');
  }
}

/**
 * Turns `track()` calls into queue entries. The page context every event repeats is kept as an object and as JSON
 * (without its braces), made again only when the page, title, visitor, session or user changes, so an event costs
 * one short string concatenation; the JSON itself is made when the tracker processes its buffer, off `track()`.
 * Until the ids are loaded (the page's first localStorage access costs 3–80 ms in Chromium: it is kept off the
 * page-load path), an event keeps what the page was at `track()` (time, URL, title, user) and is given its visitor,
 * session, sequence number and super properties later, in the order events were tracked (`_settle`).
 */
export function createSerialiser(options: SerialiserOptions) {
  const { _siteId: siteId, _window: win, _newId: newId, _pageUrl: rule } = options;
  const loc = win.location;
  const doc = win.document;
  const referrer = doc.referrer;
  const pageNow = pageOf(loc, rule);
  let device: DeviceContext | undefined;
  let context = {} as TrailmarkEvent;
  let contextJson = '';
  let contextBytes = 0;
  /** The time zone once resolved (see `_zone`), and its JSON field; both `undefined` until then. */
  let zone: string | undefined;
  let zoneJson: string | undefined;
  /** Resolves the time zone (once): at idle, at the first serialisation, or before `beforeSend` sees an event. */
  const resolveZone = (): string => {
    if (zoneJson === undefined) {
      zone = timeZone();
      zoneJson = zone ? `,"timezone":${JSON.stringify(zone)}` : '';
    }
    return zoneJson;
  };
  /** Events tracked before the ids were loaded, each one's settling step, oldest first. */
  const waiting: Array<() => void> = [];
  const settle = () => {
    for (const step of waiting.splice(0)) step();
  };

  /**
   * Prepares an event of a valid `type`, eviction `priority`, `props` and page-context `override`; `undefined` when
   * `pageUrl` excludes its page.
   */
  const prepare = (type: string, priority: number, props?: Props, override?: Partial<PageContext> | null): PreparedEvent | undefined => {
    const ts = options._now();
    if (rule && override) override = ruled(rule, override, loc.origin);
    const page = pageNow();
    if (override === null || !(page._url || override?.url)) return;
    // The page as it is at `track()`; ids, session and context come with `settle`, now or once the ids are loaded.
    const title = doc.title;
    const user = options._userId();
    let id = '';
    let seq = 0;
    let split: SplitReason | undefined;
    let base = context;
    let json = '';
    let jsonBytes = 0;
    waiting.push(() => {
      const identity = options._identity();
      split = identity._touch(ts, page._href, referrer, page._campaign, page._utm);
      seq = identity._nextSeq();
      props = options._props(props);
      if (
        page._url !== context.url ||
        title !== context.title ||
        identity._sessionId !== context.session_id ||
        identity._visitorId !== context.visitor_id ||
        user !== context.user_id
      ) {
        device ??= readDevice(win);
        context = contextOf(siteId, identity, page, title, user, referrer, device);
        contextJson = JSON.stringify(context).slice(1, -1);
        contextBytes = utf8(contextJson);
      }
      id = newId(ts);
      // The context as it is now: serialisation is deferred, and the page may change before it runs.
      base = context;
      json = contextJson;
      jsonBytes = contextBytes;
    });
    if (options._loaded()) settle();
    const event = () => {
      const full = { ...base, event_id: id, type, ts, seq, ...override } as TrailmarkEvent;
      if (zone) full.timezone = zone;
      if (override) clip(full);
      if (split) full.split_reason = split;
      if (props) full.props = props;
      return full;
    };
    let replaced: TrailmarkEvent | undefined;
    return {
      // A listener sees what will be sent: `beforeSend`'s event when it returned one.
      _event() {
        settle();
        return replaced ? { ...replaced } : event();
      },
      _replace(full) {
        replaced = full;
      },
      _entry() {
        settle();
        const zoned = resolveZone();
        // Event types match EVENT_TYPE_PATTERN and split reasons are plain words: neither needs JSON escaping.
        const own = `{"event_id":"${id}","type":"${type}","ts":${ts},"seq":${seq}${split ? `,"split_reason":"${split}"` : ''},`;
        return entryOf(
          { id, body: own + json, bytes: own.length + jsonBytes, priority, ts },
          replaced ?? (override && event()),
          replaced ? replaced.props : props,
          zoned,
          options,
        );
      },
    };
  };
  return { _prepare: prepare, _zone: resolveZone, _settle: settle };
}

/**
 * What `createSerialiser()` returns: `_prepare` prepares one event; `_zone` resolves the time zone now; `_settle` gives
 * the events tracked before the ids were loaded theirs.
 */
export type Serialiser = ReturnType<typeof createSerialiser>;
