import type { Attribution, SplitReason } from '@trailmark/protocol';
import type { KeyValue } from './kv.js';

/** Where the visitor id is kept; its removal (a reset or a denial in another tab) is seen by the site's other tabs. */
export const VISITOR_KEY = 'tm_vid';
const SESSION_KEY = 'tm_ses';

/** A session as stored (shared by the tabs of one origin). */
interface SessionState {
  id: string;
  last: number;
  /** End of the sequence block reserved so far: tabs reserve blocks of 1000, so they never repeat a number. */
  seq: number;
  /** The next local midnight after the start: sessions end there. */
  end: number;
  /** UTM source/medium/campaign the session began with. */
  utm: string;
  /** The UTM fields of the page that began the session's campaign: first touch, carried by all its events. */
  attr?: Attribution | undefined;
  /** External referrer host the session began with. */
  ref: string;
}

/** Options of `createIdentity()`. */
export interface IdentityOptions {
  _kv: KeyValue;
  /** False while consent is pending or denied: ids live in memory only. */
  _writable: boolean;
  _timeoutMs: number;
  _newId: () => string;
  _onError: (error: unknown, where: string) => void;
}

/** Visitor id and session bookkeeping for the tracker. */
export interface Identity {
  readonly _visitorId: string;
  /** The current session id (valid after `touch`). */
  readonly _sessionId: string;
  /** The current session's first-touch UTM fields (valid after `touch`). */
  readonly _attribution: Attribution | undefined;
  /**
   * Brings the session up to date for an event at `now` on `href`, arriving from `referrer`, with the
   * page's campaign (`source|medium|campaign`, empty without UTM) and its UTM fields, and returns why a new session
   * began, if one did.
   */
  _touch(now: number, href: string, referrer: string, campaign: string, attribution?: Attribution): SplitReason | undefined;
  /** The next sequence number of the current session. */
  _nextSeq(): number;
  /** Consent granted (`true`): from now on ids are written to storage; pending (`false`): nothing more is written. */
  _persist(writable: boolean): void;
  /**
   * Consent denied: stored ids are removed and nothing more is written. `reset()` (`keepWriting`): the same, but
   * the new ids are stored as before.
   */
  _forget(keepWriting?: boolean): void;
}

const hostOf = (url: string): string => {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
};

/** A new session at `now`, ending at the next local midnight, its first block of sequence numbers reserved. */
function newSession(now: number, id: string, utm: string, ref: string, attr?: Attribution): SessionState {
  const end = new Date(now);
  end.setHours(24, 0, 0, 0);
  return { id, last: now, seq: 1000, end: +end, utm, ref, attr };
}

/** Reads of the shared state: a storage that throws is reported and reads as nothing, a session not ours as none. */
function reader(kv: KeyValue, onError: IdentityOptions['_onError']) {
  const read = (key: string): string | null => {
    try {
      return kv.get(key);
    } catch (error) {
      onError(error, 'storage');
      return null;
    }
  };
  const readSession = (): SessionState | undefined => {
    try {
      const parsed = JSON.parse(read(SESSION_KEY)!) as SessionState | null;
      return parsed?.id && parsed.last > 0 ? parsed : undefined;
    } catch {
      // Nothing stored, or not ours: a new session begins.
      return undefined;
    }
  };
  return [read, readSession] as const;
}

/**
 * Creates the identity keeper: a visitor id persisted first-party, and sessions that end after
 * `timeoutMs` of inactivity, at local midnight, and when a new campaign or external referrer arrives.
 * State is shared through `kv` so every tab of an origin sees one session.
 */
export function createIdentity(options: IdentityOptions): Identity {
  const { _kv: kv, _timeoutMs: timeoutMs, _newId: newId, _onError: onError } = options;
  let writable = options._writable;
  const [read, readSession] = reader(kv, onError);
  /** The visitor id as stored: it is written only when it differs (each `setItem` costs the page ~1 ms). */
  let storedVisitor = read(VISITOR_KEY);
  let visitorId = storedVisitor ?? newId();
  let session = readSession();
  let seq = 0;
  let seqEnd = 0;
  let lastHref = '';
  let lastSaved = 0;
  let firstTouch = true;

  const save = () => {
    if (writable && session) {
      try {
        if (visitorId !== storedVisitor) kv.set(VISITOR_KEY, visitorId);
        storedVisitor = visitorId;
        kv.set(SESSION_KEY, JSON.stringify(session));
        lastSaved = session.last;
      } catch (error) {
        onError(error, 'storage');
      }
    }
  };
  const begin = (now: number, utm: string, ref: string, attr?: Attribution): SessionState => {
    // A new session reserves its first block of sequence numbers at once: one storage write, not two.
    seq = 0;
    seqEnd = 1000;
    session = newSession(now, newId(), utm, ref, attr);
    return session;
  };
  const alive = (state: SessionState | undefined, now: number) => !!state && now - state.last <= timeoutMs && now < state.end;

  return {
    get _visitorId() {
      return visitorId;
    },
    get _sessionId() {
      return session?.id ?? '';
    },
    get _attribution() {
      return session?.attr;
    },
    _touch(now, href, referrer, utm, attribution) {
      let split: SplitReason | undefined;
      let current = session!;
      if (!alive(session, now)) {
        // Another tab may have kept the session alive or already started the next one; and a tab opened at the
        // same time may have stored a visitor id first: one visitor, one id.
        const stored = readSession();
        storedVisitor = read(VISITOR_KEY);
        visitorId = storedVisitor ?? visitorId;
        if (alive(stored, now)) {
          current = session = stored!;
          seqEnd = 0;
        } else {
          const last = session ?? stored;
          split = !last ? 'new' : now >= last.end ? 'midnight' : 'idle';
          current = begin(now, '', '');
        }
      }
      /** The page brings a new campaign or referrer: a new session, unless one began just now (then it is its own). */
      const arrive = (reason: SplitReason, utm: string, ref: string, attr: Attribution | undefined) => {
        if (split) Object.assign(current, { utm, ref, attr });
        else {
          split = reason;
          current = begin(now, utm, ref, attr);
        }
      };
      if (href !== lastHref) {
        lastHref = href;
        if (utm && utm !== current.utm) arrive('campaign', utm, current.ref, attribution);
      }
      if (firstTouch) {
        firstTouch = false;
        const ref = referrer && hostOf(referrer);
        if (ref && ref !== hostOf(href) && ref !== current.ref) arrive('referrer', current.utm, ref, current.attr);
      }
      current.last = now;
      // The last-activity time is written at most every 5 s: the idle timeout is minutes, not ms.
      if (split || now - lastSaved > 5000) {
        const stored = readSession();
        // Another tab began a newer session (UUIDv7 ids sort by time), arriving from a campaign say: this tab joins
        // it rather than overwrite it, and its next sequence numbers come from that session's own block.
        if (!split && stored && stored.id > current.id && alive(stored, now)) {
          session = stored;
          stored.last = now;
          seqEnd = 0;
        }
        save();
      }
      return split;
    },
    _nextSeq() {
      if (seq >= seqEnd && session) {
        const stored = readSession();
        if (stored?.id === session.id && stored.seq > session.seq) session.seq = stored.seq;
        seq = session.seq;
        seqEnd = session.seq += 1000;
        save();
      }
      return ++seq;
    },
    _persist(on) {
      writable = on;
      save();
    },
    _forget(keepWriting) {
      writable &&= !!keepWriting;
      try {
        kv.remove(VISITOR_KEY);
        kv.remove(SESSION_KEY);
        storedVisitor = null;
      } catch (error) {
        onError(error, 'storage');
      }
      visitorId = newId();
      session = undefined;
    },
  };
}
