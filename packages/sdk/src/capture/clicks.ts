import { type Props, redactText, withoutUserinfo } from '@trailmark/protocol';
import type { Plugin } from '../plugin.js';
import { scope } from './scope.js';

/** Options of `clicks()`. */
export interface ClicksOptions {
  /** What counts as a clickable element; a click elsewhere is tracked only when it is a rage click. */
  selector?: string;
  /** Link file extensions that mean a download (default: documents, archives, media, installers). */
  downloads?: string[];
  /** The page's document (tests pass their own). */
  document?: Document;
  /** Monotonic clock for rage detection, ms (default `performance.now`). */
  now?: () => number;
  /**
   * How long (ms) a click on a non-clickable element must change nothing (no DOM change, scroll, navigation or text
   * selection) to be reported as a dead click (default 1000; 0: off).
   */
  deadAfter?: number;
}

const CLICKABLE = 'a,button,[role=button],[data-tm-event],input[type=submit],input[type=button]';
const DOWNLOADS = 'pdf|zip|rar|7z|t?gz|dmg|exe|msi|pkg|apk|csv|xlsx?|docx?|pptx?|od[ts]|txt|rtf|mp[34]|mov|avi|wav|iso';
/** What holds user input: never read for a label. */
const FIELD = 'input,textarea,select,[contenteditable]:not([contenteditable=false])';

/**
 * Clicks, with one capture-phase listener: a `click` event with `{ tag, id?, classes?, text?, href?, outbound?,
 * download?, rage? }` for the clickable element (closest `a`, `button`, `[role=button]`, submit input), or, for an
 * element with `data-tm-event="name"` (on it or an ancestor), a custom event `name` whose props are the element's
 * other `data-tm-*` attributes. `data-tm-ignore` silences an element and its subtree. A click elsewhere is tracked
 * when it is a rage click (`rage: true`: three within a second on one element) or a dead click (`dead: true`: nothing
 * on the page changed in the `deadAfter` ms that followed), one dead-click watch at a time.
 */
export function clicks(options: ClicksOptions = {}): Plugin {
  return {
    name: 'clicks',
    setup(tracker) {
      const doc = options.document ?? document;
      const now = options.now ?? (() => performance.now());
      const selector = options.selector ?? CLICKABLE;
      const deadAfter = options.deadAfter ?? 1000;
      const downloads = new RegExp(`\\.(${options.downloads?.join('|') ?? DOWNLOADS})$`, 'i');
      const s = scope(tracker, 'clicks');
      let last: Element | undefined;
      let times: number[] = [];

      const onClick = (event: MouseEvent) => {
        // Middle clicks open links in a new tab: they count, other buttons' auxclicks do not.
        if (event.type === 'auxclick' && event.button !== 1) return;
        // The first node of the composed path is the real target inside an open shadow root.
        const raw = event.composedPath()[0] ?? event.target;
        if (!(raw as Element | null)?.closest || (raw as Element).closest('[data-tm-ignore]')) return;
        const hit = (raw as Element).closest(selector);
        const el = hit ?? (raw as Element);

        // A click the script tag's later chunk replays (fired before it arrived: its dispatch is over, `eventPhase` 0)
        // counts at the time it happened, and is not watched for a dead click: the page's answer to it is past.
        const replayed = !event.eventPhase;
        const t = replayed ? event.timeStamp : now();
        times = el === last ? times.filter((time) => t - time < 1000) : [];
        last = el;
        times.push(t);
        const rage = times.length >= 3;

        const named = el.closest('[data-tm-event]');
        if (named) {
          const props: Props = {};
          let count = 0;
          for (const { name, value } of named.attributes) {
            if (name.startsWith('data-tm-') && name !== 'data-tm-event' && count++ < 50) props[name.slice(8)] = value.slice(0, 1024);
          }
          return tracker.track(named.getAttribute('data-tm-event')!, props);
        }
        if (!hit && !rage) {
          if (event.type === 'click' && !replayed) watch(el);
          return;
        }
        tracker.track('click', describe(el, rage ? 'rage' : ''));
      };
      const describe = (el: Element, flag: string) => {
        const props: Props = { tag: el.tagName.toLowerCase() };
        if (el.id) props.id = el.id.slice(0, 256);
        const classes = (el.getAttribute('class') ?? '').trim().split(/\s+/).slice(0, 10).join(' ').slice(0, 256);
        if (classes) props.classes = classes;
        const text = label(el);
        if (text) props.text = text;
        const link = el.closest('a[href]') as HTMLAnchorElement | null;
        // SVG links have no string href: they are tracked without one.
        if (link && typeof link.href === 'string') {
          // A mailto:/tel: address is personal data: only the scheme is kept.
          props.href = /^(mailto|tel):/i.test(link.href) ? link.protocol : withoutUserinfo(link.href).slice(0, 1024);
          if (/^https?:$/.test(link.protocol) && link.host !== doc.location.host) props.outbound = true;
          if (link.hasAttribute('download') || downloads.test(link.pathname)) props.download = true;
        }
        if (flag) props[flag] = true;
        return props;
      };
      /** Ends the dead-click watch under way, if any. */
      let unwatch: (() => void) | undefined;
      s._add(() => unwatch?.());
      const watch = (el: Element) => {
        if (!deadAfter || unwatch) return;
        const url = doc.location.href;
        let changed = false;
        const onChange = () => {
          changed = true;
        };
        const observer = new MutationObserver(onChange);
        observer.observe(doc, { subtree: true, childList: true, attributes: true, characterData: true });
        doc.addEventListener('scroll', onChange, true);
        const timer = setTimeout(
          s._wrap(() => {
            unwatch?.();
            // A removed element is a DOM change; a selected word (a double click) is a change of the page too.
            if (!changed && url === doc.location.href && doc.getSelection()?.isCollapsed !== false)
              tracker.track('click', describe(el, 'dead'));
          }),
          deadAfter,
        );
        unwatch = () => {
          unwatch = undefined;
          clearTimeout(timer);
          observer.disconnect();
          doc.removeEventListener('scroll', onChange, true);
        };
      };
      s._on(doc, 'click', onClick, true);
      s._on(doc, 'auxclick', onClick, true);
      return s._stop;
    },
  };
}

/** A short visible label: `aria-label`, `title`, or the text, but never the content of a form field. */
function label(el: Element): string {
  const text =
    el.getAttribute('aria-label') || el.getAttribute('title') || (el.closest(FIELD) || el.querySelector(FIELD) ? '' : el.textContent);
  // Cut before redacting (a huge card element costs nothing), and redact before the final cut, so that a match
  // is never split into an unrecognisable, leaking half.
  return redactText((text ?? '').replace(/\s+/g, ' ').trim().slice(0, 300))
    .slice(0, 128)
    .trim();
}
