import {
  type Attribution,
  MAX_EVENT_BYTES,
  MAX_TITLE_LENGTH,
  MAX_URL_LENGTH,
  type PageContext,
  type Props,
  parseUtm,
  propsProblem,
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
  _identity: Identity;
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
  /** The event as an object (for `onEvent` listeners; its `timezone` once resolved). */
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

/**
 * Turns `track()` calls into queue entries. The page context every event repeats is kept as an object and as JSON
 * (without its braces), made again only when the page, title, visitor, session or user changes, so an event costs
 * one short string concatenation; the JSON itself is made when the tracker processes its buffer, off `track()`.
 */
export function createSerialiser(options: SerialiserOptions) {
  const { _siteId: siteId, _window: win, _identity: identity, _newId: newId, _userId: userId, _pageUrl: rule } = options;
  const loc = win.location;
  const doc = win.document;
  const referrer = doc.referrer;
  const device = readDevice(win);
  let lastHref = '';
  /** The page's URL as events carry it (after `pageUrl`); empty on an excluded page. */
  let url = '';
  let utm: Attribution = {};
  let campaign = '';
  let path = '';
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

  /**
   * Prepares an event of a valid `type`, eviction `priority`, `props` and page-context `override`; `undefined` when
   * `pageUrl` excludes its page.
   */
  const prepare = (type: string, priority: number, props?: Props, override?: Partial<PageContext>): PreparedEvent | undefined => {
    const ts = options._now();
    const href = loc.href;
    if (rule && override) {
      // The URLs a plugin passes (the landing page of a web vital, the previous page as an SPA referrer) follow the
      // same rules; a previous in-app page that is excluded is named by its path alone.
      const { url: own, referrer } = override;
      override = { ...override };
      if (own) {
        const page = rule(own);
        if (!page) return;
        override.url = page;
      }
      if (referrer?.startsWith(loc.origin)) override.referrer = rule(referrer) ?? (referrer.split(/[?#]/)[0] as string);
    }
    if (href !== lastHref) {
      lastHref = href;
      url = rule ? (rule(href) ?? '') : href;
      // Derived from href, once per URL: reading location.pathname costs as much as href itself.
      path = href.slice(loc.origin.length).split(/[?#]/)[0] || '/';
      utm = href.includes('utm_') ? parseUtm(href) : {};
      campaign = utm.utm_source || utm.utm_medium || utm.utm_campaign ? `${utm.utm_source}|${utm.utm_medium}|${utm.utm_campaign}` : '';
    }
    if (!url && !override?.url) return;
    const split = identity._touch(ts, href, referrer, campaign, utm);
    const seq = identity._nextSeq();
    const title = doc.title;
    const user = userId();
    if (
      url !== context.url ||
      title !== context.title ||
      identity._sessionId !== context.session_id ||
      identity._visitorId !== context.visitor_id ||
      user !== context.user_id
    ) {
      context = {
        site_id: siteId,
        visitor_id: identity._visitorId,
        session_id: identity._sessionId,
        url,
        path,
        title,
        ...device,
        // First touch: every event of a session carries the campaign the session began with (or, after a campaign
        // split, the new one), not only the events of pages whose URL has UTM parameters.
        ...identity._attribution,
      } as TrailmarkEvent;
      if (referrer) context.referrer = referrer;
      if (user) context.user_id = user;
      clip(context);
      contextJson = JSON.stringify(context).slice(1, -1);
      contextBytes = utf8(contextJson);
    }
    const id = newId(ts);
    // The context as it is now: serialisation is deferred, and the page may change before it runs.
    const base = context;
    const json = contextJson;
    const jsonBytes = contextBytes;
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
      _event: () => (replaced ? { ...replaced } : event()),
      _replace(full) {
        replaced = full;
      },
      _entry() {
        /** Why the event is dropped if this throws: props JSON cannot encode (cyclic, BigInt), or its size. */
        let reason: DropReason = 'invalid';
        let detail: string | undefined;
        const zoned = resolveZone();
        try {
          let body: string;
          let bytes: number;
          // Every backend refuses props over the protocol's limits: refused here instead, before a round trip.
          const sent = replaced ? replaced.props : props;
          detail = sent && propsProblem(sent);
          if (detail) throw Error(detail);
          if (replaced || override) {
            if (replaced) clip(replaced);
            body = JSON.stringify(replaced ?? event());
            bytes = utf8(body);
          } else {
            // Event types match EVENT_TYPE_PATTERN and split reasons are plain words: neither needs JSON escaping.
            const own = `{"event_id":"${id}","type":"${type}","ts":${ts},"seq":${seq}${split ? `,"split_reason":"${split}"` : ''},`;
            const tail = props ? `,"props":${JSON.stringify(props)}}` : '}';
            body = own + json + zoned + tail;
            bytes = own.length + jsonBytes + utf8(zoned + tail);
          }
          if (bytes > MAX_EVENT_BYTES) {
            reason = 'too_large';
            throw Error(__DEBUG_BUILD__ ? `a ${type} event of ${bytes} bytes is over the ${MAX_EVENT_BYTES}-byte limit` : 'size');
          }
          return { id, body, bytes, priority, ts };
        } catch (error) {
          options._onDrop(reason, 1, detail);
          options._onError(error, 'track');
        }
      },
    };
  };
  return { _prepare: prepare, _zone: resolveZone };
}

/** What `createSerialiser()` returns: `_prepare` prepares one event; `_zone` resolves the time zone now. */
export type Serialiser = ReturnType<typeof createSerialiser>;
